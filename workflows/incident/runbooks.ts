/**
 * Effects: the incident's runbook child workflow (started once, then told of every change), its
 * cancellation with the incident, and runbook follow-ups as action items at resolution.
 */
import { ParentClosePolicy, getExternalWorkflowHandle, startChild, workflowInfo } from '@temporalio/workflow';
import { durationMs } from '../../policy/duration';
import { runbookSyncSignal, runbookWorkflowId, searchAttributes, type RunbookSync } from '../../contract';
import { runbookWorkflow } from '../runbook/workflow';
import { acts, withSummary } from './activity-proxies';
import type { Effects } from './paging';
import { SYSTEM, iso, record } from './state';
import { attachMatchingRunbooks, runbookBook } from './transitions';

/** Attaches matching runbooks, starts the runbook workflow, and tells it what changed. */
export async function syncRunbooks(fx: Effects): Promise<void> {
  const { m } = fx;
  const { state } = m;
  if (!state.number) return;
  const rb = runbookBook(m);
  attachMatchingRunbooks(m, fx.now());
  if (rb.attached.length === 0) return;
  const sync: RunbookSync = { phase: state.phase, status: state.status, commander: state.commander, attached: rb.attached };
  // The runbook workflow's approval rules need to know who named the commander.
  if (state.commanderAssignedBy) sync.commanderAssignedBy = state.commanderAssignedBy;
  if (state.commanderAssignedById) sync.commanderAssignedById = state.commanderAssignedById;
  const key = JSON.stringify(sync);
  if (key === rb.sent) return;
  const workflowId = runbookWorkflowId(state.incidentId);
  if (!rb.started) {
    await startChild(runbookWorkflow, {
      workflowId,
      args: [
        {
          incidentId: state.incidentId,
          incidentNumber: state.number,
          incidentWorkflowId: workflowInfo().workflowId,
          // Only what the runbook workflow reads: the whole policy is in this history once.
          policy: {
            runbooks: m.policy.runbooks,
            contacts: m.policy.contacts,
            escalation: m.policy.escalation,
            identity: m.policy.identity,
          },
          sync,
        },
      ],
      // It outlives a continue-as-new of this run; resolution and cancellation end it explicitly.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Runbooks of ${state.incidentId}: ${rb.attached.map((a) => a.id).join(', ')}`,
      // Found with the incident in the Web UI (IncidentId = "INC-n"), like its review.
      typedSearchAttributes: [{ key: searchAttributes.incidentId, value: state.incidentId }],
    });
    rb.started = true;
  } else {
    await getExternalWorkflowHandle(workflowId)
      .signal(runbookSyncSignal, sync)
      .catch(() =>
        record(m, fx.now(), 'warning', SYSTEM, `The runbook workflow ${workflowId} is gone; runbook steps no longer follow the incident`),
      );
  }
  rb.sent = key;
}

/** Cancelling the incident stops its runbooks too: their running commands are killed. */
export async function cancelRunbooks(fx: Effects): Promise<void> {
  await getExternalWorkflowHandle(runbookWorkflowId(fx.m.state.incidentId))
    .cancel()
    .catch(() => undefined);
}

/** Runbook follow-ups become action items, in the store before the review drafts its post-mortem. */
export async function addFollowUps(fx: Effects): Promise<void> {
  const { m } = fx;
  const due = iso(fx.now() + durationMs(m.policy.runbooks.followUpDue)).slice(0, 10);
  for (const attached of m.book.runbooks?.attached ?? []) {
    const def = m.policy.runbooks.definitions.find((d) => d.id === attached.id);
    for (const [i, text] of (def?.followUps ?? []).entries()) {
      await acts.addActionItem.executeWithOptions(withSummary(`Follow-up of runbook ${attached.id}`), [
        {
          incidentId: m.state.incidentId,
          text: `${text} (runbook ${attached.id})`,
          owner: m.state.commander ?? 'incident-commander',
          due,
          by: 'runbook',
          requestId: `${workflowInfo().workflowId}:${attached.id}:${i}`,
        },
      ]);
    }
  }
}
