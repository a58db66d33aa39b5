/**
 * The incident workflow: one durable run per incident, from declaration through resolution to the
 * post-incident review. Decisions live in transitions.ts and deadlines.ts (pure), side effects in the
 * modules named in the main loop; this file wires them in their fixed order.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentInput, IncidentState } from '../../contract';
import { PATCHES } from '../patches';
import { acts, withSummary } from './activity-proxies';
import { planDeadlines } from './deadlines';
import { runEscalations } from './escalations';
import { registerHandlers } from './handlers';
import { runNotices } from './notices';
import type { Effects } from './paging';
import { flush, registerIncident } from './persistence';
import { openReview } from './review';
import { addFollowUps, cancelRunbooks, syncRunbooks } from './runbooks';
import { SYSTEM, initialModel, iso, record, trimForCarry } from './state';
import { runStatusUpdates } from './status-updates';
import { applyAlertBatches, recordBreaches } from './transitions';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  // Declared when the workflow started (the alert arrived), not when a worker first ran it: a worker that
  // was down must catch up from the real time, and MTTA counts from it.
  const declaredAt = input.carried
    ? ''
    : patched(PATCHES.declaredAtWorkflowStart)
      ? workflowInfo().startTime.toISOString()
      : iso(Date.now());
  const m = initialModel(input, declaredAt);
  const fx: Effects = { m, now: () => Date.now(), patched };
  registerHandlers(fx);

  const policyProblem = await loadPolicy(fx, input);
  if (!m.state.number) await registerIncident(fx);
  if (policyProblem)
    record(
      m,
      fx.now(),
      'warning',
      SYSTEM,
      `The policy given in the workflow input was refused; the worker's own policy applies. ${policyProblem}`,
    );

  try {
    await mainLoop(fx, input);
  } catch (error) {
    if (isCancellation(error) && m.book.runbooks?.started) await CancellationScope.nonCancellable(() => cancelRunbooks(fx));
    throw error;
  }

  // Runbook follow-ups are in the store before the review drafts its post-mortem.
  if (m.book.runbooks?.attached.length && patched(PATCHES.runbookFollowUps)) await addFollowUps(fx);
  if (patched(PATCHES.postIncidentReview)) {
    await openReview(fx);
    await flush(fx);
  }
  await condition(allHandlersFinished);
  m.state.deadlines = {};
  return m.state;
}

/** The policy snapshot: the worker's own, or the input's once the worker has checked it. Returns why the input's was refused. */
async function loadPolicy(fx: Effects, input: IncidentInput): Promise<string | undefined> {
  const { m } = fx;
  if (!m.policy) m.policy = await acts.currentPolicy.executeWithOptions(withSummary('Snapshot the response policy'), []);
  else if (patched(PATCHES.inputPolicyChecked)) {
    // A policy in the input is untrusted until the worker has checked it as it checks its own file.
    const checked = await acts.checkPolicy.executeWithOptions(withSummary('Check the policy given in the input'), [input.policy!]);
    if (checked.policy) {
      m.policy = checked.policy;
      return checked.problem;
    }
  }
  return undefined;
}

/** One pass per wake-up, always in this order; then sleep until the next deadline or message. */
async function mainLoop(fx: Effects, input: IncidentInput): Promise<void> {
  const { m } = fx;
  m.catchUpRules = patched(PATCHES.escalationCatchUp);
  for (;;) {
    const seen = m.version;
    applyAlertBatches(m, fx.now());
    if (m.policy.runbooks?.definitions.length && patched(PATCHES.runbooks)) await syncRunbooks(fx);
    recordBreaches(m, fx.now());
    await runEscalations(fx);
    await runNotices(fx);
    await runStatusUpdates(fx);
    await flush(fx);
    if (m.state.status === 'resolved' && m.book.notices.length === 0) break;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || (input.historyLimit !== undefined && info.historyLength >= input.historyLimit)) {
      await condition(allHandlersFinished);
      await runNotices(fx);
      await flush(fx);
      trimForCarry(m);
      await continueAsNew<typeof incidentWorkflow>({ ...input, policy: m.policy, carried: { state: m.state, book: m.book } });
    }

    const { deadlines, next } = planDeadlines(m);
    m.state.deadlines = deadlines;
    if (m.version !== seen) continue;
    if (next) await condition(() => m.version !== seen, Math.max(next.atMs - fx.now(), 1), { summary: next.summary });
    else await condition(() => m.version !== seen);
  }
}
