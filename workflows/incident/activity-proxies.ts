/**
 * The incident workflow's activities: named as types only (they run outside the sandbox), with
 * explicit timeouts and the failure types that must not be retried.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { ErrorType } from '../../contract';

export type IncidentActivities = ReturnType<typeof createActivities>;

const nonRetryableErrorTypes = [ErrorType.InvalidInput, ErrorType.DeliveryRejected, ErrorType.StoreConflict, ErrorType.IdentityRejected];

export const activityOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
};

export const acts = proxyActivities<IncidentActivities>(activityOptions);

/** An activity call with its summary for the Web UI. */
export const withSummary = (summary: string): ActivityOptions => ({ ...activityOptions, summary });

/**
 * Short store reads and writes of an incident (policy check, registration, on-call, syncs):
 * run by the worker inside the workflow task that asks for them, so they cost no task round trip and
 * only a marker in history. Each is idempotent, since a local activity may run again after a crash.
 */
export const localOptions: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes },
};

/** Not exported: a local activity is reached only through oneLocalAtATime. */
const local = proxyLocalActivities<IncidentActivities>(localOptions);

/** A local activity call with its summary for the Web UI. */
export const withLocalSummary = (summary: string): LocalActivityOptions => ({ ...localOptions, summary });

/**
 * An incident's local activities run one at a time. With two in flight, SDK 1.24 can resolve them in
 * replay in another order than they completed (temporalio/sdk-typescript#1744, fixed in later cores),
 * and the coroutines waiting on them would then issue commands in another order: a replay failure.
 */
export function oneLocalAtATime<T>(m: { localTail: Promise<unknown> }, run: (activities: typeof local) => Promise<T>): Promise<T> {
  const result = m.localTail.then(() => run(local));
  m.localTail = result.catch(() => undefined);
  return result;
}
