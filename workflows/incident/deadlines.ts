/**
 * When things are due: the ack SLA, phase budgets, the status-update cadence, the next escalation,
 * and so the next time the workflow must wake. Pure functions of the model and `nowMs`.
 */
import { durationMs, formatDuration } from '../../policy/duration';
import { componentsOf } from '../../policy/teams';
import { PHASES, type Deadlines, type Phase, type SlaBreach } from '../../contract';
import { nextEscalation, planEscalation, type EscalationEntry } from '../escalation';
import { iso, type IncidentModel } from './state';

export function ackDeadlineMs(m: IncidentModel): number {
  const sla = durationMs(m.policy.severities[m.state.severity].ackSla);
  return m.declaredMs + (sla > 0 ? sla : durationMs(m.policy.escalation.repeat.interval));
}

/** Phase budgets not yet breached for the current and later phases, in phase order. */
export function phaseDeadlines(m: IncidentModel): { phase: Phase; key: string; budget: string; atMs: number }[] {
  return PHASES.flatMap((phase) => {
    const budget = m.policy.phaseBudgets[phase];
    const key = `phase:${phase}`;
    if (!budget || m.book.breachKeys.includes(key) || PHASES.indexOf(m.state.phase) > PHASES.indexOf(phase)) return [];
    return [{ phase, key, budget, atMs: m.declaredMs + durationMs(budget) }];
  });
}

export function statusCadenceMs(m: IncidentModel): number | undefined {
  const every = m.policy.severities[m.state.severity].statusUpdateEvery;
  return every ? durationMs(every) : undefined;
}

export interface DueBreach {
  key: string;
  kind: SlaBreach['kind'];
  text: string;
  phase?: Phase;
}

/** SLA breaches that have come due at `nowMs` and are not recorded yet. */
/**
 * When a user-facing incident of the listed severities must have its first public status update (the
 * plan: "within 15 minutes of P0/P1 detection"); undefined once one is out, or when the rule does not apply.
 * User-facing: its service belongs to a status page component, or the policy names no components.
 */
export function statusPageDeadlineMs(m: IncidentModel): number | undefined {
  const { state, policy, book } = m;
  const rule = policy.statusPage;
  if (!rule?.updateWithin || state.status === 'resolved') return undefined;
  if (!rule.updateSeverities.includes(state.severity) || state.publicUpdates?.length || book.breachKeys.includes('status-page'))
    return undefined;
  if (rule.components.length && !componentsOf(policy, state.service).length) return undefined;
  return m.declaredMs + durationMs(rule.updateWithin);
}

export function dueBreaches(m: IncidentModel, nowMs: number): DueBreach[] {
  const { state, book } = m;
  if (state.status === 'resolved') return [];
  const due: DueBreach[] = [];
  if (state.status === 'open' && !book.breachKeys.includes('ack') && nowMs >= ackDeadlineMs(m)) {
    due.push({
      key: 'ack',
      kind: 'ack',
      text: `${state.severity} not acknowledged within ${formatDuration(ackDeadlineMs(m) - m.declaredMs)}`,
    });
  }
  const publicDue = statusPageDeadlineMs(m);
  if (publicDue !== undefined && nowMs >= publicDue)
    due.push({
      key: 'status-page',
      kind: 'status-page',
      text: `${state.severity} without a public status update within ${m.policy.statusPage.updateWithin} of detection`,
    });
  for (const d of phaseDeadlines(m)) {
    if (nowMs >= d.atMs)
      due.push({
        key: d.key,
        kind: 'phase',
        text: `Phase ${d.phase} not finished within ${d.budget} of declaration (its budget counts from the declaration, not from the phase's start)`,
        phase: d.phase,
      });
  }
  return due;
}

/** The next escalation entry and when it may be paged (honouring the repeat interval). */
export function upcomingEscalation(m: IncidentModel): (EscalationEntry & { atMs: number }) | undefined {
  const { policy, state, book } = m;
  const plan = planEscalation(policy, state.severity, m.declaredMs);
  const upcoming = nextEscalation(plan, book.paged, book.levelPagedAtMs ?? {}, durationMs(policy.escalation.repeat.interval));
  return upcoming && { ...upcoming.entry, atMs: upcoming.atMs };
}

export interface Wake {
  atMs: number;
  /** The timer's summary in the Web UI. */
  summary: string;
}

/** The deadlines callers see, and the earliest one: when the main loop must wake next. */
/**
 * When each paged person's backup falls due (`backupAfter` after their first page), while the incident
 * is open, for those whose backup has not been paged yet.
 */
function backupsDueAt(m: IncidentModel): [contactId: string, atMs: number][] {
  const { policy, state, book } = m;
  if (!policy.backupAfter || !book.backups || state.status !== 'open') return [];
  const afterMs = durationMs(policy.backupAfter);
  return Object.entries(book.backups.watch)
    .filter(([id]) => !book.backups!.paged.includes(id))
    .map(([id, at]) => [id, at + afterMs]);
}

/**
 * Whether a later channel of a page still goes: never once resolved; after an acknowledgement only for
 * pages that go on after one (brought in by hand).
 */
export const followUpStands = (m: IncidentModel, f: NonNullable<IncidentModel['book']['followUps']>[number]): boolean =>
  m.state.status === 'open' || (m.state.status !== 'resolved' && !f.payload.stopIfAcknowledged);

/** The people whose backup is due at `nowMs`. */
export const dueBackups = (m: IncidentModel, nowMs: number): string[] =>
  backupsDueAt(m)
    .filter(([, at]) => nowMs >= at)
    .map(([id]) => id);

export function planDeadlines(m: IncidentModel): { deadlines: Deadlines; next?: Wake } {
  const { policy, state, book } = m;
  const candidates: Wake[] = [];
  const deadlines: Deadlines = {};
  if (state.status === 'open') {
    const next = upcomingEscalation(m);
    if (next) {
      deadlines.nextEscalation = iso(next.atMs);
      const level = policy.escalation.levels[next.level]!.name;
      candidates.push({
        atMs: next.atMs,
        summary:
          next.cycle > 0
            ? `Unacknowledged: repeat ${next.cycle} pages ${level}`
            : state.slaStartsAt && next.atMs === m.declaredMs
              ? `Business hours start: page ${level}`
              : `${state.severity} ack SLA ${policy.severities[state.severity].ackSla}, then page ${level}`,
      });
    }
    if (!book.breachKeys.includes('ack')) candidates.push({ atMs: ackDeadlineMs(m), summary: `${state.severity} ack SLA deadline` });
    const backups = backupsDueAt(m).map(([, at]) => at);
    if (backups.length)
      candidates.push({ atMs: Math.min(...backups), summary: `Unacknowledged for ${policy.backupAfter}: page the backup` });
  }
  if (state.status !== 'resolved') {
    const followUps = (book.followUps ?? []).filter((f) => followUpStands(m, f));
    if (followUps.length) {
      const first = followUps.reduce((a, b) => (b.atMs < a.atMs ? b : a));
      candidates.push({ atMs: first.atMs, summary: `Notification rules: ${first.payload.channel} to ${first.payload.recipient.name}` });
    }
    const cadence = statusCadenceMs(m);
    if (cadence !== undefined) {
      const at = Date.parse(book.lastStatusAt) + cadence;
      deadlines.nextStatusUpdate = iso(at);
      candidates.push({ atMs: at, summary: `${state.severity} status update every ${formatDuration(cadence)}` });
    }
    const publicDue = statusPageDeadlineMs(m);
    if (publicDue !== undefined) {
      deadlines.publicUpdate = iso(publicDue);
      candidates.push({ atMs: publicDue, summary: `Public status update due (${m.policy.statusPage.updateWithin} for ${state.severity})` });
    }
    const budget = phaseDeadlines(m)[0];
    if (budget) {
      deadlines.phaseBudget = { phase: budget.phase, at: iso(budget.atMs) };
      candidates.push({ atMs: budget.atMs, summary: `Phase ${budget.phase} budget: ${budget.budget} from declaration` });
    }
  }
  return { deadlines, next: candidates.sort((a, b) => a.atMs - b.atMs)[0] };
}
