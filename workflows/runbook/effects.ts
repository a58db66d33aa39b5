/**
 * The runbook workflow's effects: the store's activities (evidence, proofs), a step on its host (by
 * reference, never retried on its own), and the incident's timeline (events in order).
 */
import { ActivityCancellationType, getExternalWorkflowHandle, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import type { createRunbookActivities } from '../../runbook-host/activities';
import { ErrorType, runbookEventSignal, type RunbookEvent, type StepResult, type StepRun } from '../../contract';
import { durationMs } from '../../policy/duration';
import { describeCommand } from '../../policy/runbook-plan';

type StoreActivities = ReturnType<typeof createActivities>;
type HostActivities = ReturnType<typeof createRunbookActivities>;

export const storeOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    nonRetryableErrorTypes: [ErrorType.InvalidInput, ErrorType.NotFound, ErrorType.IdentityRejected],
  },
};
export const store = proxyActivities<StoreActivities>(storeOptions);

/** Runs a step on its host: a host runs only steps of its own policy, named by reference, and builds the command itself. */
export function runOnHost(run: StepRun, incidentId: string, hostOfflineAfter: string): Promise<StepResult> {
  const host = proxyActivities<HostActivities>({
    taskQueue: run.plan.queue,
    // No worker for the host within this time: it is offline, which the commander hears of instead of a hang.
    scheduleToStartTimeout: durationMs(hostOfflineAfter),
    startToCloseTimeout: run.plan.timeoutMs + 30_000,
    heartbeatTimeout: '10s',
    // A step that changes something must never run twice on its own: no automatic retries.
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `${run.plan.ref} on ${run.plan.host}`,
  });
  return host.runStep({
    incidentId,
    runbook: run.plan.runbook,
    step: run.plan.step,
    params: run.plan.params,
    expect: describeCommand(run.plan),
    ...(run.grant ? { approval: run.grant } : {}),
  });
}

/** The incident's timeline: events reach it in order; an incident that has already closed no longer needs them. */
export function incidentEvents(incidentWorkflowId: string): { emit: (event: RunbookEvent) => void; drained: () => Promise<void> } {
  let events: Promise<void> = Promise.resolve();
  return {
    emit: (event) => {
      const incident = getExternalWorkflowHandle(incidentWorkflowId);
      events = events.then(() => incident.signal(runbookEventSignal, event).catch(() => undefined));
    },
    drained: () => events,
  };
}
