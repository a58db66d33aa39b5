import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { DIGEST_SCHEDULE_ID } from '../contract';

/** Creates the weekly digest Schedule, or brings an existing one to the policy's cron: safe at every start. */
export async function ensureDigestSchedule(
  client: Client,
  taskQueue: string,
  cron: string,
  scheduleId = DIGEST_SCHEDULE_ID,
): Promise<'created' | 'updated'> {
  const action = { type: 'startWorkflow' as const, workflowType: 'digestWorkflow', taskQueue, args: [] };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { cronExpressions: [cron] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { purpose: 'Weekly post-incident digest: open reviews, overdue post-mortems and action items' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: { cronExpressions: [cron] }, action }));
    return 'updated';
  }
}
