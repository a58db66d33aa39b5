/**
 * bench:scale's floor: the least an incident could cost, on the same server at the same N. One
 * activity at once (the "first page"), one durable timer, one activity when it fires (the "escalation").
 */
import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';

export interface FloorActivities {
  page(id: string): Promise<void>;
  escalate(id: string, dueMs: number): Promise<void>;
}

const { page, escalate } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30s' });

export async function floorWorkflow(escalateAfterMs: number): Promise<void> {
  const { workflowId, startTime } = workflowInfo();
  await page(workflowId);
  await sleep(escalateAfterMs);
  await escalate(workflowId, startTime.getTime() + escalateAfterMs);
}
