import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DataConverter, UpdateDefinition } from '@temporalio/common';
import {
  ErrorType,
  formatIncidentId,
  parseIncidentId,
  runbookWorkflowId,
  searchAttributes,
  INCIDENT_WORKFLOW_TYPE,
  type IncidentState,
} from '../contract';
import type { TemporalConnectionSettings } from '../config/temporal-connection';
import { executeUpdateRetrying } from './transient';
import { IncidentError, kindOf } from './failures';

export interface ClientSettings extends TemporalConnectionSettings {
  namespace: string;
  /** Seals and opens payloads with the payload key (config/payload-keys.ts). */
  dataConverter: DataConverter;
}

export async function connect(settings: ClientSettings): Promise<Client> {
  try {
    const { namespace: _namespace, dataConverter, ...options } = settings;
    const connection = await Connection.connect({ ...options, connectTimeout: 3000 });
    return new Client({ connection, namespace: settings.namespace, dataConverter });
  } catch (error) {
    throw new IncidentError(
      `cannot reach the Temporal server at ${settings.address}: ${(error as Error).message}. Is \`npm start\` running?`,
      'Unavailable',
    );
  }
}

export interface IncidentRef {
  incidentId: string;
  handle: WorkflowHandle;
  running: boolean;
}

/** How long an INC id is looked for in visibility before "no incident" (about 2 s). */
const VISIBILITY_ATTEMPTS = 8;
const VISIBILITY_RETRY_MS = 250;

/** Finds an incident by its INC id (through visibility) or by its workflow id. */
export async function findIncident(client: Client, id: string): Promise<IncidentRef> {
  const number = parseIncidentId(id);
  if (number !== undefined) {
    const incidentId = formatIncidentId(number);
    const query = `${searchAttributes.incidentId.name} = "${incidentId}" AND WorkflowType = "${INCIDENT_WORKFLOW_TYPE}"`;
    // Visibility is eventually consistent: an incident declared a moment ago may not be listed yet.
    for (let attempt = 0; attempt < VISIBILITY_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, VISIBILITY_RETRY_MS));
      for await (const execution of client.workflow.list({ query, pageSize: 1 })) {
        return {
          incidentId,
          handle: client.workflow.getHandle(execution.workflowId, execution.runId),
          running: execution.status.name === 'RUNNING',
        };
      }
    }
    throw new IncidentError(`no incident ${incidentId}`, ErrorType.NotFound);
  }
  if (!/^[\w.:-]{1,200}$/.test(id)) throw new IncidentError(`"${id}" is not an incident id (expected e.g. INC-42)`, ErrorType.InvalidInput);
  const handle = client.workflow.getHandle(id);
  try {
    const description = await handle.describe();
    const incidentId = description.typedSearchAttributes.get(searchAttributes.incidentId) ?? id;
    return { incidentId, handle: client.workflow.getHandle(id, description.runId), running: description.status.name === 'RUNNING' };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new IncidentError(`no incident ${id}`, ErrorType.NotFound);
    throw error;
  }
}

export interface RunbookRef {
  /** Bound to the run found: an approval signed for it is good for that run only. */
  handle: WorkflowHandle;
  runId: string;
  running: boolean;
}

/** The incident's runbook workflow; a clear error when none was ever started. */
export async function findRunbooks(client: Client, ref: IncidentRef): Promise<RunbookRef> {
  const handle = client.workflow.getHandle(runbookWorkflowId(ref.incidentId));
  try {
    const description = await handle.describe();
    return {
      handle: client.workflow.getHandle(handle.workflowId, description.runId),
      runId: description.runId,
      running: description.status.name === 'RUNNING',
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new IncidentError(
        `${ref.incidentId} has no runbooks attached; attach one with: incidentctl runbook ${ref.incidentId} NAME`,
        ErrorType.NotFound,
      );
    throw error;
  }
}

export async function readState(ref: IncidentRef): Promise<IncidentState> {
  // A closed incident's final state is its result, readable without a worker.
  if (!ref.running) return (await ref.handle.result()) as IncidentState;
  const state = await ref.handle.query<IncidentState | null>('state').catch(async (error: unknown) => {
    // Visibility said running, but the incident closed in the meantime (its last moment after a resolve):
    // its result is the final state.
    if ((await ref.handle.describe()).status.name === 'RUNNING') throw error;
    return (await ref.handle.result()) as IncidentState;
  });
  if (!state) throw new IncidentError(`${ref.incidentId} has no state yet`, 'Unexpected');
  return state;
}

/** Runs an update; the workflow's typed rejections become IncidentErrors of their kind. */
export async function runUpdate<Ret, Arg>(
  ref: IncidentRef,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  /** Another workflow of the incident, e.g. its runbooks; the incident itself by default. */
  handle: WorkflowHandle = ref.handle,
): Promise<Ret> {
  if (!ref.running) throw new IncidentError(`${ref.incidentId} is resolved and closed; it accepts no changes`, ErrorType.IncidentResolved);
  try {
    return await executeUpdateRetrying(handle, update, [arg]);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      throw new IncidentError(`${ref.incidentId}: ${error.cause.message}`, kindOf(error.cause.type));
    }
    if (error instanceof WorkflowNotFoundError) {
      throw new IncidentError(`${ref.incidentId} is resolved and closed; it accepts no changes`, ErrorType.IncidentResolved);
    }
    throw error;
  }
}

/** Runs one of the short store workflows and returns its result, with typed failures as IncidentErrors of their kind. */
export async function runStoreWorkflow<T>(
  client: Client,
  workflowType: string,
  arg: unknown,
  taskQueue: string,
  workflowId = `${workflowType}-${randomUUID()}`,
): Promise<T> {
  try {
    return (await client.workflow.execute(workflowType, {
      taskQueue,
      workflowId,
      args: [arg],
      workflowExecutionTimeout: '1 minute',
    })) as T;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      let cause: unknown = error.cause;
      while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
      if (cause instanceof ApplicationFailure) {
        throw new IncidentError(cause.message, kindOf(cause.type));
      }
    }
    throw error;
  }
}
