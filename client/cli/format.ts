import { CONTROL_CHARACTERS, type IncidentState, type TimelineEvent, type Verification } from '../../contract';

const CONTROL_GLOBAL = new RegExp(CONTROL_CHARACTERS.source, 'g');
/** Free text from people and alerts as one terminal line: control characters shown escaped, never obeyed. */
export const printable = (text: string | undefined) =>
  (text ?? '').replace(CONTROL_GLOBAL, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** "Alice (token)": who, and how that was verified. */
export const who = (name: string | undefined, via: Verification | undefined) => `${printable(name)}${via ? ` (${via})` : ''}`;

/** The system's detail: runbook step results and stakeholder notifications, not what people did or who was paged. */
const isDetail = (e: TimelineEvent) =>
  !e.via && (e.kind === 'runbook' || e.kind === 'notification' || (e.kind === 'warning' && e.text.startsWith('Notified ')));

/** Runs of at least this many detail events show as one line. */
const FOLD_FROM = 3;

/**
 * The timeline as people read it: runs of the system's detail folded into one line each (what they were,
 * and where the detail is), so actions, pages and phases stand out.
 */
export function foldTimeline(events: TimelineEvent[]): (TimelineEvent | { folded: TimelineEvent[] })[] {
  const out: (TimelineEvent | { folded: TimelineEvent[] })[] = [];
  let run: TimelineEvent[] = [];
  const flush = () => {
    if (run.length >= FOLD_FROM) out.push({ folded: run });
    else out.push(...run);
    run = [];
  };
  for (const e of events) {
    if (isDetail(e)) run.push(e);
    else {
      flush();
      out.push(e);
    }
  }
  flush();
  return out;
}

function foldedLine(folded: TimelineEvent[], incidentId: string): string {
  const runbook = folded.filter((e) => e.kind === 'runbook').length;
  const notices = folded.length - runbook;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const what = [runbook ? plural(runbook, 'runbook event') : '', notices ? plural(notices, 'notification') : ''].filter(Boolean).join(', ');
  const where = [runbook ? `incidentctl show ${incidentId} --evidence` : '', `--all to list them`].filter(Boolean).join('; ');
  return `  ${folded[0]!.at}  ${'(folded)'.padEnd(13)} ${'system'.padEnd(14)} ${what} (${where})`;
}

export function formatState(state: IncidentState, options: { timelineTail?: number; all?: boolean } = {}): string {
  const p = printable;
  const lines = [
    `${state.incidentId}  [${state.severity}] ${p(state.title)}`,
    `  service:    ${p(state.service)} (source: ${state.source})`,
    `  status:     ${state.status}${state.acknowledgedBy ? ` (acknowledged by ${who(state.acknowledgedBy, state.acknowledgedVia)} at ${state.acknowledgedAt})` : ''}`,
    `  phase:      ${state.phase}`,
    `  commander:  ${state.commander ? p(state.commander) : 'unassigned'}`,
    `  escalation: level ${state.escalationLevel}${state.escalationCycle ? `, repeat ${state.escalationCycle}` : ''}`,
    `  declared:   ${state.declaredAt} by ${who(state.declaredBy, state.declaredVia)}`,
  ];
  if (state.resolvedAt)
    lines.push(
      `  resolved:   ${state.resolvedAt} by ${who(state.resolvedBy, state.resolvedVia)}`,
      `  root cause: ${p(state.rootCause)}`,
      `  resolution: ${p(state.resolution)}`,
    );
  const d = state.deadlines;
  if (d.nextEscalation) lines.push(`  next escalation:    ${d.nextEscalation}`);
  if (d.nextStatusUpdate) lines.push(`  next status update: ${d.nextStatusUpdate}`);
  if (d.phaseBudget) lines.push(`  phase budget:       ${d.phaseBudget.phase} due ${d.phaseBudget.at}`);
  const events = options.timelineTail ? state.timeline.slice(-options.timelineTail) : state.timeline;
  lines.push('', options.timelineTail && state.timeline.length > events.length ? `Timeline (last ${events.length}):` : 'Timeline:');
  if (state.timelineTruncated) lines.push(`  (${state.timelineTruncated} earlier events are in the store)`);
  const line = (e: TimelineEvent) => `  ${e.at}  ${e.kind.padEnd(13)} ${who(e.actor, e.via).padEnd(14)} ${p(e.text)}`;
  for (const e of options.all ? events : foldTimeline(events)) lines.push('folded' in e ? foldedLine(e.folded, state.incidentId) : line(e));
  return lines.join('\n');
}

/** "45s", "12m", "3h", "2d": how long ago, as kubectl's AGE column. */
export function age(iso: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const SEVERITY_COLOUR: Record<string, string> = { P0: '\x1b[1;31m', P1: '\x1b[31m', P2: '\x1b[33m', P3: '\x1b[2m' };
/** A severity in its colour on a terminal (never when NO_COLOR is set or output is piped). */
export const paintSeverity = (severity: string, colour: boolean, width = severity.length) =>
  colour && SEVERITY_COLOUR[severity] ? `${SEVERITY_COLOUR[severity]}${severity.padEnd(width)}\x1b[0m` : severity.padEnd(width);
