/**
 * What each message and each tick does to an incident. Pure: every function changes the model and
 * queues notices (work for the effects), given the time as `nowMs`; none calls an activity.
 */
import { durationMs, formatDuration } from '../../policy/duration';
import { matchRunbooks } from '../../policy/runbook-plan';
import { componentsOf } from '../../policy/teams';
import {
  PHASES,
  type AcknowledgeArgs,
  type AddNoteArgs,
  type AdvancePhaseArgs,
  type AlertBatch,
  type AssignCommanderArgs,
  type ChangeSeverityArgs,
  type EscalateArgs,
  type MaintenanceWindow,
  type PageRespondersArgs,
  type Phase,
  PHASE_PUBLIC_STATE,
  type PublicIncidentMemo,
  type PublicUpdateArgs,
  type ResolveArgs,
  type RunbookEvent,
  type SetImpactArgs,
} from '../../contract';
import { dueEscalations, escalationKey, levelsFor, planEscalation, type EscalationEntry } from '../escalation';
import { dueBreaches, statusCadenceMs } from './deadlines';
import { SYSTEM, changed, iso, queueNotice, record, type IncidentModel } from './state';

export const applicableLevels = (m: IncidentModel) => levelsFor(m.policy, m.state.severity);
/** The level a manual escalation pages: the first applicable one above the highest paged so far. */
export const nextManualLevel = (m: IncidentModel) => applicableLevels(m).find((l) => l > m.state.escalationLevel);

function endPhase(m: IncidentModel, by: string, nowMs: number): void {
  const current = m.state.phases[m.state.phases.length - 1];
  if (current && !current.endedAt) Object.assign(current, { endedAt: iso(nowMs), endedBy: by });
}

function enterPhase(m: IncidentModel, phase: Phase, by: string, nowMs: number): void {
  const { state } = m;
  const from = state.phase;
  endPhase(m, by, nowMs);
  // Skipped phases are recorded as zero-length so the phase table stays complete.
  for (let i = PHASES.indexOf(from) + 1; i < PHASES.indexOf(phase); i++) {
    state.phases.push({ phase: PHASES[i]!, startedAt: iso(nowMs), startedBy: by, endedAt: iso(nowMs), endedBy: by });
  }
  state.phases.push({ phase, startedAt: iso(nowMs), startedBy: by });
  state.phase = phase;
  record(m, nowMs, 'phase', by, `Phase ${from} → ${phase}`);
}

export function acknowledge(m: IncidentModel, { by }: AcknowledgeArgs, nowMs: number): void {
  m.state.status = 'acknowledged';
  m.state.acknowledgedBy = by;
  if (m.acting) m.state.acknowledgedVia = m.acting;
  m.state.acknowledgedAt = iso(nowMs);
  record(m, nowMs, 'ack', by, `Acknowledged by ${by}; automatic escalation stopped`);
}

/** Pages `level` now, outside the automatic plan: by hand, or for a runbook that needs attention. */
export function escalateTo(m: IncidentModel, level: number, by: string, reason: string | undefined, what: string, nowMs: number): void {
  const { state, book } = m;
  state.escalationLevel = Math.max(state.escalationLevel, level);
  // The automatic plan must not page this level again in the current cycle.
  book.paged.push(escalationKey(state.escalationCycle, level));
  const n = ++book.manualEscalations;
  record(m, nowMs, 'escalation', by, `${what} ${m.policy.escalation.levels[level]!.name}${reason ? `: ${reason}` : ''}`);
  queueNotice(m, { type: 'manual-escalation', n, level, by, reason });
}

export function escalate(m: IncidentModel, { by, reason }: EscalateArgs, nowMs: number): void {
  escalateTo(m, nextManualLevel(m)!, by, reason, 'Manual escalation to', nowMs);
}

/** Another team's on-call (its schedule, resolved when paged) or a person, brought in by hand. */
export function pageResponders(m: IncidentModel, { by, team, person, reason }: PageRespondersArgs, nowMs: number): void {
  const t = team !== undefined ? m.policy.teams.find((x) => x.id === team) : undefined;
  const target = t ? `schedule:${t.schedule}` : person!;
  const who = t ? `the on-call of team ${t.name} (${t.id})` : (m.policy.contacts.find((c) => c.id === person)?.name ?? person!);
  const responders = (m.state.responders ??= []);
  responders.push({ who, target, by, at: iso(nowMs) });
  record(m, nowMs, 'escalation', by, `Brought in ${who}${reason ? `: ${reason}` : ''}`);
  queueNotice(m, { type: 'responders', n: responders.length, target, who, by, ...(reason ? { reason } : {}) });
}

export function changeSeverity(m: IncidentModel, { by, severity, reason }: ChangeSeverityArgs, nowMs: number): void {
  const from = m.state.severity;
  m.state.severity = severity;
  record(m, nowMs, 'severity', by, `Severity ${from} → ${severity}${reason ? `: ${reason}` : ''}; SLAs and update cadence re-planned`);
  if (m.policy.severities[severity].executiveNotifyWithin) queueNotice(m, { type: 'executive' });
  // Waiting for business hours, raised to a severity that pages around the clock: it starts now.
  if (m.state.slaStartsAt && Date.parse(m.state.slaStartsAt) > nowMs && !m.policy.severities[severity].businessHoursOnly) {
    m.state.slaStartsAt = iso(nowMs);
    m.declaredMs = nowMs;
    m.book.lastStatusAt = iso(nowMs);
    record(m, nowMs, 'note', SYSTEM, `${severity} pages around the clock: paging and the SLA clock start now`);
  }
}

/**
 * Opened outside its team's business hours with a severity that pages only within them: the SLA clock,
 * paging, status updates and phase budgets start when they next begin; the on-call is told now, without a page.
 */
export function waitForBusinessHours(m: IncidentModel, hours: { until: string; text: string }, nowMs: number): void {
  const { state, policy } = m;
  if (!policy.severities[state.severity].businessHoursOnly) return;
  state.slaStartsAt = hours.until;
  m.declaredMs = Date.parse(hours.until);
  m.book.lastStatusAt = hours.until;
  const team = policy.teams?.find((t) => t.id === state.team)?.name ?? state.team;
  const text = `${state.severity} outside the business hours of team ${team} (${hours.text}): the on-call is told without a page; paging and the SLA clock start at ${hours.until}`;
  record(m, nowMs, 'note', SYSTEM, text);
  queueNotice(m, { type: 'after-hours', text });
}

export function addNote(m: IncidentModel, { by, text }: AddNoteArgs, nowMs: number): void {
  record(m, nowMs, 'note', by, text.trim());
}

export function assignCommander(m: IncidentModel, { by, commander }: AssignCommanderArgs, nowMs: number): void {
  m.state.commander = commander.trim();
  m.state.commanderAssignedBy = by;
  // Only a verified assigner can open the runbook approval gate for the commander they named.
  if (m.actingPerson) m.state.commanderAssignedById = m.actingPerson;
  else delete m.state.commanderAssignedById;
  record(m, nowMs, 'commander', by, `Incident commander: ${m.state.commander}`);
}

export function advancePhase(m: IncidentModel, { by, to }: AdvancePhaseArgs, nowMs: number): void {
  const phase = to ?? PHASES[PHASES.indexOf(m.state.phase) + 1]!;
  enterPhase(m, phase, by, nowMs);
  queueNotice(m, { type: 'phase', phase, by });
}

function closeAsResolved(m: IncidentModel, by: string, nowMs: number, text: string): void {
  m.state.status = 'resolved';
  m.state.resolvedAt = iso(nowMs);
  m.state.resolvedBy = by;
  if (m.acting) m.state.resolvedVia = m.acting;
  record(m, nowMs, 'resolved', by, text);
  enterPhase(m, 'review', by, nowMs);
  queueNotice(m, { type: 'resolution' });
}

/**
 * Alerts of a service in a maintenance window: the incident is recorded, closed at once, and tells
 * nobody (no page, no notification, no chat, no review).
 */
export function closeForMaintenance(m: IncidentModel, w: MaintenanceWindow, nowMs: number): void {
  const { state } = m;
  state.status = 'resolved';
  state.resolvedAt = iso(nowMs);
  state.resolvedBy = 'maintenance';
  state.rootCause = `maintenance ${w.id}: ${w.reason}`;
  state.resolution = 'alerts during a maintenance window page nobody';
  m.book.notices = [];
  delete m.book.chat;
  record(
    m,
    nowMs,
    'resolved',
    SYSTEM,
    `During maintenance ${w.id} of ${w.service} (until ${w.to}, by ${w.createdBy}: ${w.reason}): alerts recorded, nobody paged`,
  );
  enterPhase(m, 'review', SYSTEM, nowMs);
}

export function resolve(m: IncidentModel, { by, rootCause, resolution }: ResolveArgs, nowMs: number): void {
  m.state.rootCause = rootCause.trim();
  m.state.resolution = resolution.trim();
  closeAsResolved(m, by, nowMs, `Resolved. Root cause: ${m.state.rootCause}. Resolution: ${m.state.resolution}`);
}

/** What the status page reads from the memo: the public title, impact, components and latest updates. */
export function postPublicUpdate(m: IncidentModel, args: PublicUpdateArgs, nowMs: number): PublicIncidentMemo {
  const { state } = m;
  const { by, text } = args;
  if (args.title) state.publicTitle = args.title.trim();
  if (args.impact) state.publicImpact = args.impact;
  else state.publicImpact ??= 'partial-outage';
  if (args.components?.length) state.publicComponents = args.components;
  else state.publicComponents ??= componentsOf(m.policy, state.service);
  const publicState = args.state ?? PHASE_PUBLIC_STATE[state.phase];
  (state.publicUpdates ??= []).push({ at: iso(nowMs), text: text.trim(), state: publicState });
  record(m, nowMs, 'note', by, `Public status update (${publicState}): ${text.trim()}`);
  return {
    publicUpdates: state.publicUpdates.slice(-20),
    publicTitle: state.publicTitle,
    publicImpact: state.publicImpact,
    publicComponents: state.publicComponents,
  };
}

export function setImpact(m: IncidentModel, { by, usersPct }: SetImpactArgs, nowMs: number): void {
  const { state, book } = m;
  state.usersAffectedPct = usersPct;
  record(m, nowMs, 'note', by, `Impact: ${usersPct}% of users affected`);
  const rule = m.policy.customerNotice;
  if (rule.severities.includes(state.severity) && usersPct > rule.thresholdPct && !book.customersNotified) {
    book.customersNotified = true;
    book.notices.push({ type: 'customers' });
    record(m, nowMs, 'note', SYSTEM, `Customers are being emailed: a ${state.severity} affecting more than ${rule.thresholdPct}% of users`);
  }
}

// ---- runbooks ----

/** The labels a runbook is planned with: those it was attached with, else its alert match, else the first alert's. */
export function runbookLabels(m: IncidentModel, id: string): Record<string, string> {
  return (
    m.book.runbooks?.attached.find((a) => a.id === id)?.labels ??
    matchRunbooks(m.policy.runbooks, m.state.alerts).find((match) => match.id === id)?.labels ??
    m.state.alerts[0]?.labels ??
    {}
  );
}

export const runbookBook = (m: IncidentModel) => (m.book.runbooks ??= { attached: [], started: false, sent: '' });

export function attachRunbook(m: IncidentModel, id: string, labels: Record<string, string>, by: string, nowMs: number): void {
  const def = m.policy.runbooks.definitions.find((d) => d.id === id)!;
  runbookBook(m).attached.push({ id, labels, by, at: iso(nowMs) });
  record(m, nowMs, 'runbook', by, `Runbook ${id} attached: ${def.title}`);
}

/** Runbooks whose alert match fits the incident's alerts now, not attached yet. */
export function attachMatchingRunbooks(m: IncidentModel, nowMs: number): void {
  if (m.state.status === 'resolved') return;
  for (const match of matchRunbooks(m.policy.runbooks, m.state.alerts)) {
    if (!runbookBook(m).attached.some((a) => a.id === match.id))
      attachRunbook(m, match.id, match.labels, m.state.alerts.length ? 'alertmanager' : 'policy', nowMs);
  }
}

/** A runbook event: on the timeline, with approvals and notifications queued. */
export function applyRunbookEvent(m: IncidentModel, event: RunbookEvent, nowMs: number): void {
  const { state, book } = m;
  record(m, nowMs, event.warning ? 'warning' : 'runbook', event.actor, event.text);
  if (event.approval) queueNotice(m, { type: 'approval', ...event.approval });
  if (event.notify) queueNotice(m, { type: 'runbook-notify', ...event.notify });
  if (event.trouble && !(book.troubleHosts ??= []).includes(event.trouble.host) && state.status !== 'resolved') {
    book.troubleHosts.push(event.trouble.host);
    queueNotice(m, { type: 'runbook-trouble', host: event.trouble.host, text: event.text });
  }
  if (event.escalate && state.status !== 'resolved') {
    const next = nextManualLevel(m);
    // Once per level, up to the last: past it, the timeline keeps the reminder and nobody is paged again.
    if (next === undefined) record(m, nowMs, 'warning', SYSTEM, `${event.escalate}: every level of the escalation path has been paged`);
    else escalateTo(m, next, 'runbook', event.escalate, 'Escalation to', nowMs);
  }
}

// ---- alerts ----

export function queueAlertBatch(m: IncidentModel, batch: AlertBatch): void {
  (m.book.alertBatches ??= []).push(batch);
  changed(m);
}

/** Applies queued alert batches (Alertmanager's, integrations' events): dedup by fingerprint, notes, and "alerts cleared". */
export function applyAlertBatches(m: IncidentModel, nowMs: number): void {
  const { state, book, policy } = m;
  const batches = book.alertBatches ?? [];
  if (batches.length === 0 || state.status === 'resolved') return;
  book.alertBatches = [];
  // Who sent them (an integration's events say so; Alertmanager's batches predate `from`).
  let monitor = 'alertmanager';
  for (const batch of batches) {
    monitor = batch.from ?? 'alertmanager';
    for (const note of batch.notes) record(m, nowMs, 'note', monitor, note);
    if (batch.truncatedAlerts > 0) record(m, nowMs, 'warning', monitor, `${batch.truncatedAlerts} alerts were truncated by Alertmanager`);
    for (const alert of batch.alerts) {
      const known = state.alerts.find((a) => a.fingerprint === alert.fingerprint);
      if (known?.status === alert.status) continue;
      if (known) known.status = alert.status;
      else state.alerts.push(alert);
      const summary = alert.annotations?.summary ? `: ${alert.annotations.summary}` : '';
      record(
        m,
        nowMs,
        'alert',
        monitor,
        `${alert.status === 'firing' ? 'Alert firing' : 'Alert resolved'}: ${alert.name} [${alert.fingerprint}]${summary}`,
      );
    }
  }
  const cleared = state.alerts.length > 0 && state.alerts.every((a) => a.status === 'resolved');
  if (cleared && !book.alertsCleared) {
    book.alertsCleared = true;
    record(m, nowMs, 'alert', monitor, 'Alerts cleared: every alert of the group reports resolved');
    if (policy.alertmanager.autoResolve.includes(state.severity)) {
      state.rootCause = 'Not recorded: the alerts cleared on their own';
      state.resolution = `Auto-resolved by policy: ${state.severity} incidents resolve when their alerts clear`;
      closeAsResolved(m, monitor, nowMs, state.resolution);
    } else {
      record(m, nowMs, 'note', SYSTEM, `${state.severity} waits for a human to resolve: an alert clearing is not a root cause`);
    }
  } else if (!cleared && book.alertsCleared) {
    book.alertsCleared = false;
  }
}

// ---- deadlines come due ----

/** Records the SLA breaches due at `nowMs` and queues their notifications. */
export function recordBreaches(m: IncidentModel, nowMs: number): void {
  for (const due of dueBreaches(m, nowMs)) {
    m.book.breachKeys.push(due.key);
    m.state.breaches.push({ kind: due.kind, phase: due.phase, at: iso(nowMs), text: due.text });
    record(m, nowMs, 'sla-breach', SYSTEM, due.text);
    queueNotice(m, { type: 'breach', key: due.key, text: due.text });
  }
}

export interface EscalationStep {
  /** The plan entries to page now. */
  page: EscalationEntry[];
  /** After a gap, page them one after another (stopping at an acknowledgement); on time, together. */
  oneByOne: boolean;
}

function noteEscalation(m: IncidentModel, entry: EscalationEntry, nowMs: number): void {
  const { policy, state } = m;
  state.escalationLevel = Math.max(state.escalationLevel, entry.level);
  const name = policy.escalation.levels[entry.level]!.name;
  if (entry.cycle > 0)
    record(m, nowMs, 'escalation', SYSTEM, `Repeat ${entry.cycle}/${policy.escalation.repeat.times}: paging ${name} again`);
  else if (entry.level !== applicableLevels(m)[0] && !policy.severities[state.severity].pageAllLevels) {
    record(m, nowMs, 'escalation', SYSTEM, `Not acknowledged: escalating to ${name}`);
  }
}

/**
 * The escalation entries due at `nowMs`, marked paged and on the timeline. After a gap each overdue
 * level is paged once, in level order, nobody twice within the repeat interval.
 */
export function takeDueEscalations(m: IncidentModel, nowMs: number): EscalationStep {
  const { policy, state, book } = m;
  if (state.status !== 'open') return { page: [], oneByOne: false };
  const plan = planEscalation(policy, state.severity, m.declaredMs);
  const last = (book.levelPagedAtMs ??= {});
  const due = dueEscalations(plan, book.paged, nowMs, last, durationMs(policy.escalation.repeat.interval));
  if (due.page.length === 0) return { page: [], oneByOne: false };
  for (const entry of due.settled) {
    book.paged.push(entry.key);
    state.escalationCycle = Math.max(state.escalationCycle, entry.cycle);
  }
  if (due.heldUpSinceMs !== undefined) {
    record(
      m,
      nowMs,
      'escalation',
      SYSTEM,
      `Paging was held up from ${iso(due.heldUpSinceMs)} to ${iso(nowMs)} (worker or Temporal unavailable): catching up, each overdue level once, ${policy.escalation.levels[due.page[0]!.level]!.name} first`,
    );
  }
  for (const entry of due.page) noteEscalation(m, entry, nowMs);
  return { page: due.page, oneByOne: due.heldUpSinceMs !== undefined };
}

/** A level counts as paged when its page is out: the repeat interval runs from then. */
export function notePagedLevel(m: IncidentModel, level: number, nowMs: number): void {
  (m.book.levelPagedAtMs ??= {})[level] = nowMs;
}

/** The status update due at `nowMs`, if any: numbered, on the timeline. */
export function takeDueStatusUpdate(m: IncidentModel, nowMs: number): { n: number } | undefined {
  const cadence = statusCadenceMs(m);
  if (m.state.status === 'resolved' || cadence === undefined) return undefined;
  if (nowMs < Date.parse(m.book.lastStatusAt) + cadence) return undefined;
  const n = ++m.book.statusUpdatesSent;
  m.book.lastStatusAt = iso(nowMs);
  record(m, nowMs, 'status-update', SYSTEM, `Status update #${n} (every ${formatDuration(cadence)})`);
  return { n };
}
