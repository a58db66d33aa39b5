import { CONTROL_CHARACTERS, type IncidentState, type Verification } from '../../contract';

const CONTROL_GLOBAL = new RegExp(CONTROL_CHARACTERS.source, 'g');
/** Free text from people and alerts as one terminal line: control characters shown escaped, never obeyed. */
export const printable = (text: string | undefined) =>
  (text ?? '').replace(CONTROL_GLOBAL, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** "Alice (token)": who, and how that was verified. */
export const who = (name: string | undefined, via: Verification | undefined) => `${printable(name)}${via ? ` (${via})` : ''}`;

export function formatState(state: IncidentState, options: { timelineTail?: number } = {}): string {
  const p = printable;
  const lines = [
    `${state.incidentId}  [${state.severity}] ${p(state.title)}`,
    `  service:    ${p(state.service)} (source: ${state.source})`,
    `  status:     ${state.status}${state.acknowledgedBy ? ` (acknowledged by ${who(state.acknowledgedBy, state.acknowledgedVia)} at ${state.acknowledgedAt})` : ''}`,
    `  phase:      ${state.phase}`,
    `  commander:  ${state.commander ? p(state.commander) : 'unassigned'}`,
    `  escalation: level ${state.escalationLevel}${state.escalationCycle ? `, repeat ${state.escalationCycle}` : ''}`,
    `  declared:   ${state.declaredAt} by ${p(state.declaredBy)}`,
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
  for (const e of events) lines.push(`  ${e.at}  ${e.kind.padEnd(13)} ${who(e.actor, e.via).padEnd(14)} ${p(e.text)}`);
  return lines.join('\n');
}
