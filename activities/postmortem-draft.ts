import { formatDuration } from '../policy/duration';
import { renderTemplate } from '../policy/render';
import type { DraftData } from './review-store';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The plan's post-mortem template, filled in from the store: the real timeline, every event. */
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
    timelineRows: events.map((e) => `| ${e.at.toISOString().slice(11, 19)} | ${cell(e.text)} (${cell(e.actor)}) |`).join('\n'),
    rootCause: i.root_cause ?? '[Detailed explanation]',
    resolution: i.resolution ?? '[How it was fixed]',
    actionItemRows: actionItems.length
      ? actionItems
          .map((a) => `| ${cell(a.text)} (${a.id}) | ${cell(a.owner)} | ${a.due} | ${a.status === 'done' ? '[x]' : '[ ]'} |`)
          .join('\n')
      : '| [Item] | [Name] | [Date] | [ ] |',
  });
}
