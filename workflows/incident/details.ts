/**
 * The incident as the Temporal Web UI shows it on its page ("current details", markdown): status,
 * severity, phase, commander, who acknowledged, the next deadline, the last events and where to act.
 * Pure; the workflow sets it after every pass (setting it makes no command and no history event).
 */
import type { Deadlines, IncidentState } from '../../contract';

const md = (text: string) => text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');

export function currentDetails(state: IncidentState, deadlines: Deadlines): string {
  if (!state.incidentId) return 'Registering the incident…';
  const next = [
    deadlines.nextEscalation && `escalation at ${deadlines.nextEscalation}`,
    deadlines.publicUpdate && `public status update due ${deadlines.publicUpdate}`,
    deadlines.nextStatusUpdate && `status update at ${deadlines.nextStatusUpdate}`,
    deadlines.phaseBudget && `${deadlines.phaseBudget.phase} budget ends ${deadlines.phaseBudget.at}`,
  ].filter(Boolean);
  // Deliveries that only reached the outbox: their activities completed, so the page says so here.
  const kept = state.timeline.filter((e) => e.kind === 'warning' && e.text.includes('kept in the outbox')).length;
  const who = (name?: string, via?: string) => (name ? `${md(name)}${via ? ` (${via})` : ''}` : '');
  const lines = [
    `### ${state.incidentId} · ${state.severity} · ${state.status}`,
    '',
    `**${md(state.title)}**`,
    '',
    `- phase: **${state.phase}**`,
    `- commander: ${state.commander ? md(state.commander) : 'unassigned'}`,
    `- acknowledged: ${state.acknowledgedBy ? `${who(state.acknowledgedBy, state.acknowledgedVia)} at ${state.acknowledgedAt}` : 'not yet'}`,
    ...(state.resolvedAt ? [`- resolved: ${who(state.resolvedBy, state.resolvedVia)} at ${state.resolvedAt}`] : []),
    `- next: ${next.length ? next.join('; ') : 'nothing scheduled'}`,
    ...(state.publicTitle ? [`- public as: ${md(state.publicTitle)}`] : []),
    ...(kept ? [`- not delivered: ${kept} (kept in the outbox, no provider or refused: \`incidentctl inbox ${state.incidentId}\`)`] : []),
    '',
    '**Last events**',
    '',
    ...state.timeline.slice(-5).map((e) => `- ${e.at.slice(11, 19)} ${e.kind} · ${md(e.actor)}: ${md(e.text).slice(0, 160)}`),
    '',
    `Act: \`incidentctl show ${state.incidentId}\` · \`incidentctl ack ${state.incidentId}\``,
  ];
  return lines.join('\n');
}
