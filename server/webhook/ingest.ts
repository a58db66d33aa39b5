import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes, defaultPayloadConverter, u8, type SearchAttributePair } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  INCIDENT_WORKFLOW_TYPE,
  WATCHDOG_WORKFLOW_ID,
  WATCHDOG_WORKFLOW_TYPE,
  alertsSignal,
  incidentStartMetadata,
  searchAttributes,
  watchdogBeatSignal,
  type Severity,
  type WatchdogInput,
} from '../../contract';
import type { GroupIngest } from './mapping';
import { sealValues } from '../../client/payloads';

export type IngestOutcome = 'started' | 'joined' | 'ignored' | 'heartbeat';

/**
 * Starts the group's incident or joins the open one, atomically on the server: 50 concurrent
 * posts for one group yield one incident. This is the SDK's signalWithStart request, made
 * directly because the SDK drops the response's `started` flag, which the metrics need.
 */
export async function ingestGroup(client: Client, taskQueue: string, group: GroupIngest): Promise<IngestOutcome> {
  if (group.allResolved) {
    // A resolution for a group with no open incident must not open one.
    try {
      await client.workflow.getHandle(group.workflowId).signal(alertsSignal, group.batch);
      return 'joined';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 'ignored';
      throw error;
    }
  }
  // The raw request goes through the client's data converter like the SDK's own: every payload sealed.
  const seal = (...values: unknown[]) => sealValues(client, ...values);
  const metadata = incidentStartMetadata(group.input);
  const [input, signalInput, [title, summary, details]] = await Promise.all([
    seal(group.input),
    seal(group.batch),
    seal(group.input.title, metadata.summary, metadata.details),
  ]);
  const response = await client.workflowService.signalWithStartWorkflowExecution({
    namespace: client.options.namespace,
    identity: client.options.identity,
    requestId: randomUUID(),
    workflowId: group.workflowId,
    workflowType: { name: INCIDENT_WORKFLOW_TYPE },
    taskQueue: { kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL, name: taskQueue },
    input: { payloads: input },
    signalName: alertsSignal.name,
    signalInput: { payloads: signalInput },
    // A closed incident's group may open a new one; a running one is joined.
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    memo: { fields: { title: title! } },
    userMetadata: { summary, details },
    searchAttributes: {
      indexedFields: searchAttributeFields([
        { key: searchAttributes.title, value: group.input.title },
        { key: searchAttributes.severity, value: group.input.severity },
        { key: searchAttributes.service, value: group.input.service },
        { key: searchAttributes.phase, value: 'detect' },
        { key: searchAttributes.status, value: 'open' },
      ]),
    },
  });
  return response.started ? 'started' : 'joined';
}

/**
 * The Watchdog alert (policy alertmanager.watchdog) is the monitoring pipeline's heartbeat, not an
 * incident: a firing one is a beat for the watchdog workflow, started on the first one.
 */
export async function ingestHeartbeat(
  client: Client,
  taskQueue: string,
  watchdog: { alertname: string; silentAfterMs: number; severity: Severity },
  at: string,
): Promise<IngestOutcome> {
  await client.workflow.signalWithStart(WATCHDOG_WORKFLOW_TYPE, {
    workflowId: WATCHDOG_WORKFLOW_ID,
    taskQueue,
    args: [watchdog satisfies WatchdogInput],
    signal: watchdogBeatSignal,
    signalArgs: [{ at }],
    staticSummary: `Monitoring heartbeat: pages on-call after ${Math.round(watchdog.silentAfterMs / 1000)} s without a ${watchdog.alertname} alert`,
  });
  return 'heartbeat';
}

/**
 * Search attributes as the raw start request carries them: each value a JSON payload whose metadata
 * names its type (what the client does for typedSearchAttributes).
 */
function searchAttributeFields(pairs: SearchAttributePair[]): Record<string, temporal.api.common.v1.IPayload> {
  return Object.fromEntries(
    pairs.map(({ key, value }) => {
      const payload = defaultPayloadConverter.toPayload(value);
      return [key.name, { ...payload, metadata: { ...payload.metadata, type: u8(TypedSearchAttributes.toMetadataType(key.type)) } }];
    }),
  );
}
