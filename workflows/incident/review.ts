/** Effects: the post-incident review, a workflow of its own that outlives the incident. */
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { durationMs } from '../../policy/duration';
import { reviewWorkflowId, searchAttributes } from '../../contract';
import { reviewWorkflow } from '../review';
import type { Effects } from './paging';
import { SYSTEM, iso, record } from './state';

/** Starts the review (the alert group is free for a new incident while it runs). */
export async function openReview(fx: Effects): Promise<void> {
  const { state, policy } = fx.m;
  const reviewId = reviewWorkflowId(state.incidentId);
  const incidentWorkflowId = workflowInfo().workflowId;
  const dueAt = iso(Date.parse(state.resolvedAt!) + durationMs(policy.review.due));
  await startChild(reviewWorkflow, {
    workflowId: reviewId,
    args: [
      {
        incidentId: state.incidentId,
        incidentNumber: state.number,
        title: state.title,
        severity: state.severity,
        commander: state.commander,
        resolvedAt: state.resolvedAt!,
        incidentWorkflowId,
        // Without the runbooks (most of the policy, never read by the review).
        policy: policy.runbooks ? { ...policy, runbooks: { ...policy.runbooks, definitions: [] } } : policy,
        ...(fx.m.book.chat ? { chat: true } : {}),
      },
    ],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    memo: { incidentId: state.incidentId, incidentWorkflowId, title: state.title },
    typedSearchAttributes: [
      { key: searchAttributes.incidentId, value: state.incidentId },
      { key: searchAttributes.severity, value: state.severity },
      { key: searchAttributes.service, value: state.service },
    ],
    staticSummary: `Post-incident review of ${state.incidentId}, due ${dueAt}`,
  });
  record(fx.m, fx.now(), 'phase', SYSTEM, `Post-incident review ${reviewId} opened; post-mortem due ${dueAt}`);
}
