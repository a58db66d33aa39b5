/**
 * The incident workflow's activities: named as types only (they run outside the sandbox), with
 * explicit timeouts and the failure types that must not be retried.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { ErrorType } from '../../contract';

export type IncidentActivities = ReturnType<typeof createActivities>;

export const activityOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [ErrorType.InvalidInput, ErrorType.DeliveryRejected, ErrorType.StoreConflict],
  },
};

export const acts = proxyActivities<IncidentActivities>(activityOptions);

/** An activity call with its summary for the Web UI. */
export const withSummary = (summary: string): ActivityOptions => ({ ...activityOptions, summary });
