import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import { DIGEST_SCHEDULE_ID, END_OF_DAY_SCHEDULE_ID } from '../contract';
import type { ChatPolicy } from '../policy/schema';

/** Creates a Schedule that starts `workflowType`, or brings an existing one to this spec: safe at every start. */
async function ensureSchedule(
  client: Client,
  taskQueue: string,
  scheduleId: string,
  workflowType: string,
  spec: ScheduleSpec,
  purpose: string,
): Promise<'created' | 'updated' | 'replaced'> {
  const action = { type: 'startWorkflow' as const, workflowType, taskQueue, args: [] };
  const create = () =>
    client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { purpose },
    });
  try {
    await create();
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const createUnlessThere = () =>
    create().catch((again: unknown) => {
      if (!(again instanceof ScheduleAlreadyRunning)) throw again;
    });
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  } catch (error) {
    // Deleted meanwhile by another worker replacing it (below): made again, by whichever comes first.
    if (error instanceof ScheduleNotFoundError) {
      await createUnlessThere();
      return 'replaced';
    }
    // Sealed with a payload key this worker does not hold (rotated out, or someone else's): it holds
    // nothing but its spec, which is ours to say, so it is made again with our key.
    if (!(error instanceof ValueError)) throw error;
    // Workers starting together race here: whoever deletes or creates first, one schedule results.
    await handle.delete().catch(() => undefined);
    await createUnlessThere();
    return 'replaced';
  }
}

/** The weekly digest Schedule at the policy's cron. */
export function ensureDigestSchedule(
  client: Client,
  taskQueue: string,
  cron: string,
  scheduleId = DIGEST_SCHEDULE_ID,
): Promise<'created' | 'updated' | 'replaced'> {
  return ensureSchedule(
    client,
    taskQueue,
    scheduleId,
    'digestWorkflow',
    { cronExpressions: [cron] },
    'Weekly post-incident digest: open reviews, overdue post-mortems and action items',
  );
}

/** The end-of-day summary Schedule (Slack #engineering) at the policy's local time and time zone. */
export function ensureEndOfDaySchedule(
  client: Client,
  taskQueue: string,
  endOfDay: ChatPolicy['endOfDay'],
  scheduleId = END_OF_DAY_SCHEDULE_ID,
): Promise<'created' | 'updated' | 'replaced'> {
  const [hour, minute] = endOfDay.at.split(':').map(Number) as [number, number];
  return ensureSchedule(
    client,
    taskQueue,
    scheduleId,
    'endOfDayWorkflow',
    { calendars: [{ hour, minute, comment: `${endOfDay.at} ${endOfDay.timeZone}` }], timezone: endOfDay.timeZone },
    'End-of-day incident summary to Slack: open incidents, resolved today, overdue post-mortems and action items',
  );
}
