/**
 * The incident workflow: one durable run per incident, from declaration through resolution to the
 * post-incident review. Decisions live in transitions.ts and deadlines.ts (pure), side effects in the
 * modules named in the main loop; this file wires them in their fixed order.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  setCurrentDetails,
  continueAsNew,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { declaredArgs, type IncidentInput, type IncidentState } from '../../contract';
import { oneLocalAtATime, withLocalSummary } from './activity-proxies';
import { planDeadlines } from './deadlines';
import { askPatches, PATCHES } from '../patches';
import { DeadlineTimer } from './deadline-timer';
import { runBackups, runEscalations, runFollowUps } from './escalations';
import { registerHandlers } from './handlers';
import { isPageNotice, runNoticesWhere, startNotificationLane } from './notices';
import type { Effects } from './paging';
import { currentDetails } from './details';
import { startChatLane, type ChatLane } from './chat';
import { applyRegistration, flush, publishSearchAttributes, registration, storeRowKey } from './persistence';
import { openReview } from './review';
import { addFollowUps, cancelRunbooks, syncRunbooks } from './runbooks';
import { SYSTEM, initialModel, iso, record, trimForCarry } from './state';
import { queueDueStatusUpdate } from './status-updates';
import { applyAlertBatches, closeForMaintenance, recordBreaches, waitForBusinessHours } from './transitions';
import { incidentPolicy } from '../../policy/teams';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  // First, before any activity: which behaviour changes since 1.0 this run has (none yet).
  const _patches = askPatches(PATCHES);
  // Declared when the workflow started (the alert arrived), not when a worker first ran it: a worker that
  // was down must catch up from the real time, and MTTA counts from it.
  const declaredAt = input.carried ? '' : workflowInfo().startTime.toISOString();
  const m = initialModel(input, declaredAt);
  const fx: Effects = { m, now: () => Date.now() };
  registerHandlers(fx);

  const policyProblem = await openIncident(fx, input);
  if (policyProblem)
    record(
      m,
      fx.now(),
      'warning',
      SYSTEM,
      `The policy given in the workflow input was refused; the worker's own policy applies. ${policyProblem}`,
    );

  // Chat mirrors the incident from here to the end (after the review has opened).
  const chat = m.book.chat ? startChatLane(fx) : undefined;
  try {
    await mainLoop(fx, input, chat);
  } catch (error) {
    if (isCancellation(error) && m.book.runbooks?.started) await CancellationScope.nonCancellable(() => cancelRunbooks(fx));
    throw error;
  }

  // Runbook follow-ups are in the store before the review drafts its post-mortem.
  if (m.book.runbooks?.attached.length) await addFollowUps(fx);
  // Closed as it opened, during maintenance: nothing to review.
  const inMaintenance = m.state.resolvedBy === 'maintenance';
  // Resolved by its monitor: Alertmanager, or an integration's events (`integration <name>`).
  const byMonitor = m.state.resolvedBy === 'alertmanager' || m.state.resolvedBy?.startsWith('integration ');
  if (!inMaintenance && byMonitor && !m.policy.review.autoResolved)
    record(
      m,
      fx.now(),
      'note',
      SYSTEM,
      'No post-incident review: it resolved on its own when its alerts cleared (policy review.autoResolved)',
    );
  else if (!inMaintenance) await openReview(fx);
  await flush(fx);
  if (chat) await condition(() => chat.idle());
  await condition(allHandlersFinished);
  m.state.deadlines = {};
  return m.state;
}

/**
 * The main loop: pages before anything else, notifications on their own lane, one timer for the next
 * deadline. Each pass: alerts, breaches, due escalation pages and page notices, the due status update
 * (queued for the lane), runbooks, one store sync; then sleep until a message, the lane or the timer
 * wakes it.
 */
async function mainLoop(fx: Effects, input: IncidentInput, chat?: ChatLane): Promise<void> {
  const { m } = fx;
  const lane = startNotificationLane(fx);
  const timer = new DeadlineTimer();
  const syncTimer = new DeadlineTimer();
  // Registration wrote the row: the first sync waits for a change to it, or for the timeline window.
  let lastSyncMs = fx.now();
  m.syncedRow ??= storeRowKey(m.state);
  const wake = () => m.version++;
  for (;;) {
    const seen = m.version;
    if (lane.failure()) throw lane.failure();
    applyAlertBatches(m, fx.now());
    recordBreaches(m, fx.now());
    await runEscalations(fx);
    // Only incidents whose policy pages backups have the book (and this await): older runs replay as they ran.
    if (m.book.backups) await runBackups(fx);
    // Likewise pages to people with notification rules: their later channels.
    if (m.book.followUps) await runFollowUps(fx);
    await runNoticesWhere(fx, isPageNotice);
    queueDueStatusUpdate(fx);
    if (m.policy.runbooks?.definitions.length) await syncRunbooks(fx);
    // The store hears of changes in batches: the incident's row soon, timeline events later, a resolution at once.
    if (m.storeDirty) {
      const rowChanged = storeRowKey(m.state) !== m.syncedRow;
      const due = lastSyncMs + (rowChanged ? STORE_SYNC_WINDOW_MS : TIMELINE_SYNC_WINDOW_MS);
      if (fx.now() >= due || m.state.status === 'resolved') {
        lastSyncMs = fx.now();
        await flush(fx);
      } else syncTimer.arm({ atMs: due, summary: 'Store sync (changes batched)' }, fx.now(), wake);
    }
    // The CLI and the Web UI find incidents by these: published as soon as they change.
    publishSearchAttributes(fx);
    if (m.state.status === 'resolved' && m.book.notices.length === 0 && lane.idle() && !m.storeDirty) break;

    await continueAsNewIfDue(
      fx,
      input,
      () => runNoticesWhere(fx, isPageNotice),
      () => lane.idle() && (chat?.idle() ?? true),
    );

    const { deadlines, next } = planDeadlines(m);
    m.state.deadlines = deadlines;
    setCurrentDetails(currentDetails(m.state, deadlines));
    if (m.version !== seen) continue;
    timer.arm(next, fx.now(), wake);
    await condition(() => m.version !== seen);
  }
}

/**
 * Continues as new when the history is long enough (the server's suggestion, or the input's limit): once
 * handlers and `idle` are done, with queued work drained and the store synced, carrying state and book.
 */
async function continueAsNewIfDue(fx: Effects, input: IncidentInput, drain: () => Promise<void>, idle: () => boolean): Promise<void> {
  const { m } = fx;
  const info = workflowInfo();
  if (!info.continueAsNewSuggested && !(input.historyLimit !== undefined && info.historyLength >= input.historyLimit)) return;
  await condition(() => allHandlersFinished() && idle());
  await drain();
  await flush(fx);
  trimForCarry(m);
  await continueAsNew<typeof incidentWorkflow>({ ...input, policy: m.policy, carried: { state: m.state, book: m.book } });
}

/**
 * How far the store may trail an open incident: what reports read of it (status, severity,
 * phase, commander, breaches) 10 s; timeline events (read by the review, after resolution) and the
 * escalation level 5 min.
 * Acknowledgement and resolution sync at once; so do continue-as-new and the end.
 */
export const STORE_SYNC_WINDOW_MS = 10_000;
export const TIMELINE_SYNC_WINDOW_MS = 300_000;

/**
 * An incident's first step, one local activity: the policy (the input's, checked, or the worker's),
 * its number, and who is on call now. A continued run only has its carried policy checked.
 * Returns why the input's policy was refused.
 */
async function openIncident(fx: Effects, input: IncidentInput): Promise<string | undefined> {
  const { m } = fx;
  if (m.state.number) {
    const checked = await oneLocalAtATime(m, (local) =>
      local.checkPolicy.executeWithOptions(withLocalSummary('Check the carried policy'), [input.policy!]),
    );
    if (checked.policy) m.policy = checked.policy;
    return checked.problem;
  }
  const opened = await oneLocalAtATime(m, (local) =>
    local.openIncident.executeWithOptions(withLocalSummary(`Open incident: ${m.state.title}`), [
      {
        policy: input.policy,
        registration: registration(fx),
        onCallAt: iso(fx.now()),
        ...(input.team ? { team: input.team } : {}),
        ...(input.routedBy ? { routedBy: input.routedBy } : {}),
        ...(input.declaredProof ? { declared: { proof: input.declaredProof, args: declaredArgs(input) } } : {}),
      },
    ]),
  );
  if (opened.policy) m.policy = opened.policy;
  // Who declared is the proof's person; a name in the input stands only as written, and says so.
  if (opened.declared) Object.assign(m.state, { declaredBy: opened.declared.name, declaredVia: opened.declared.via });
  else if (input.source === 'manual') m.state.declaredVia = 'unverified';
  // Who must be verified is the worker's rule, never the input policy's.
  if (opened.identity) m.policy = { ...m.policy, identity: opened.identity };
  // Chat only when this worker is connected to a chat platform.
  if (opened.chat) m.book.chat = { cursor: 0, problems: [], approvals: [] };
  // A policy with teams: the incident runs on its service's escalation policy, paging its team.
  // Its levels for the hours it opened in (the worker decided: time zones are not workflow code's).
  if (opened.routing) {
    m.policy = incidentPolicy(m.policy, { team: opened.routing.team, service: m.state.service }, opened.businessHours?.inside ?? true);
    m.state.team = opened.routing.team;
  }
  m.openedOnCall = { atMs: fx.now(), answer: opened.onCall, ...(opened.onCallTarget ? { target: opened.onCallTarget } : {}) };
  applyRegistration(fx, opened.number);
  if (opened.routing) {
    const { teamName, team, via, note } = opened.routing;
    record(m, fx.now(), note ? 'warning' : 'note', SYSTEM, note ?? `Owned by team ${teamName} (${team}): ${via}`);
  }
  if (opened.maintenance && (input.source === 'alertmanager' || input.source === 'integration'))
    closeForMaintenance(m, opened.maintenance, fx.now());
  else if (opened.businessHours && !opened.businessHours.inside) waitForBusinessHours(m, opened.businessHours, fx.now());
  if (opened.declaredProblem) record(m, fx.now(), 'warning', SYSTEM, `Who declared is unverified: ${opened.declaredProblem}`);
  return opened.problem;
}
