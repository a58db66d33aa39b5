import type { IncidentState } from '../../contract';

export function formatState(state: IncidentState, options: { timelineTail?: number } = {}): string {
  const lines = [
    `${state.incidentId}  [${state.severity}] ${state.title}`,
    `  service:    ${state.service} (source: ${state.source})`,
    `  status:     ${state.status}${state.acknowledgedBy ? ` (acknowledged by ${state.acknowledgedBy} at ${state.acknowledgedAt})` : ''}`,
    `  phase:      ${state.phase}`,
    `  commander:  ${state.commander ?? 'unassigned'}`,
    `  escalation: level ${state.escalationLevel}${state.escalationCycle ? `, repeat ${state.escalationCycle}` : ''}`,
    `  declared:   ${state.declaredAt} by ${state.declaredBy}`,
  ];
  if (state.resolvedAt)
    lines.push(
      `  resolved:   ${state.resolvedAt} by ${state.resolvedBy}`,
      `  root cause: ${state.rootCause}`,
      `  resolution: ${state.resolution}`,
    );
  const d = state.deadlines;
  if (d.nextEscalation) lines.push(`  next escalation:    ${d.nextEscalation}`);
  if (d.nextStatusUpdate) lines.push(`  next status update: ${d.nextStatusUpdate}`);
  if (d.phaseBudget) lines.push(`  phase budget:       ${d.phaseBudget.phase} due ${d.phaseBudget.at}`);
  const events = options.timelineTail ? state.timeline.slice(-options.timelineTail) : state.timeline;
  lines.push('', options.timelineTail && state.timeline.length > events.length ? `Timeline (last ${events.length}):` : 'Timeline:');
  if (state.timelineTruncated) lines.push(`  (${state.timelineTruncated} earlier events are in the store)`);
  for (const e of events) lines.push(`  ${e.at}  ${e.kind.padEnd(13)} ${e.actor.padEnd(14)} ${e.text}`);
  return lines.join('\n');
}
