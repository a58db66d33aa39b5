import type { Client } from '@temporalio/client';
import { SHIFT_NOTICE_WORKFLOW_TYPE, shiftNoticeWorkflowId } from '../contract';
import type { ResponsePolicy } from '../policy/schema';

/**
 * Starts the shift-notice workflow of every schedule that asks for notices, unless it runs already:
 * safe at every worker start, and workers starting together start one each.
 */
export async function ensureShiftNotices(client: Client, taskQueue: string, policy: ResponsePolicy): Promise<string[]> {
  const started: string[] = [];
  for (const schedule of policy.schedules.filter((s) => s.shiftNotice)) {
    const handle = await client.workflow.start(SHIFT_NOTICE_WORKFLOW_TYPE, {
      workflowId: shiftNoticeWorkflowId(schedule.id),
      taskQueue,
      args: [{ schedule: schedule.id }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Shift notices of ${schedule.name ?? schedule.id}: ${schedule.shiftNotice!.before} before each shift`,
    });
    started.push(handle.workflowId);
  }
  return started;
}
