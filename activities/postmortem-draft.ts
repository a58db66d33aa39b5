import { formatDuration } from '../policy/duration';
import { renderTemplate } from '../policy/render';
import type { DraftData } from '../store/review-store';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** What a reader of the post-mortem needs on its timeline; every event is in the appendix. */
const KEY_EVENTS = new Set(['declared', 'ack', 'escalation', 'severity', 'phase', 'commander', 'note', 'resolved']);
const row = (e: DraftData['events'][number]) => `| ${e.at.toISOString().slice(11, 19)} | ${cell(e.text)} (${cell(e.actor)}) |`;

/**
 * The plan's post-mortem template, filled in from the store: the timeline's key events (declared,
 * acknowledged, escalations, severity and phase changes, notes, resolution) and, as an appendix, every event.
 */
export function renderDraft(template: string, data: DraftData): string {
  const { incident: i, events, actionItems } = data;
  const end = i.resolved_at ?? new Date();
  const duration = formatDuration(end.getTime() - i.declared_at.getTime());
  const acked = i.acknowledged_at
    ? `acknowledged by ${i.acknowledged_by} after ${formatDuration(i.acknowledged_at.getTime() - i.declared_at.getTime())}`
    : 'never acknowledged';
  return renderTemplate(template, {
    id: i.incident_id,
    title: i.title,
    date: i.declared_at.toISOString().slice(0, 10),
    severity: i.severity,
    duration,
    commander: i.commander ?? '[Name]',
    summary: `${i.title}: a ${i.severity} incident on ${i.service}, declared ${i.declared_at.toISOString()}, ${acked}, resolved after ${duration}.`,
    timelineRows: events
      .filter((e) => KEY_EVENTS.has(e.kind))
      .map(row)
      .join('\n'),
    rootCause: i.root_cause ?? '[Detailed explanation]',
    resolution: i.resolution ?? '[How it was fixed]',
    actionItemRows: actionItems.length
      ? actionItems
          .map((a) => `| ${cell(a.text)} (${a.id}) | ${cell(a.owner)} | ${a.due} | ${a.status === 'done' ? '[x]' : '[ ]'} |`)
          .join('\n')
      : '| [Item] | [Name] | [Date] | [ ] |',
  }).concat(
    `\n## Appendix: full timeline\n\nEvery event, pages and notifications included.\n\n| Time | Kind | Event |\n|------|------|-------|\n`,
    events.map((e) => `| ${e.at.toISOString().slice(11, 19)} | ${e.kind} | ${cell(e.text)} (${cell(e.actor)}) |`).join('\n'),
    '\n',
  );
}
