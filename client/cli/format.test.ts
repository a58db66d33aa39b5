import type { IncidentState, TimelineEvent } from '../../contract';
import { foldTimeline, formatState } from './format';

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 9, 0, s)).toISOString();
const event = (kind: TimelineEvent['kind'], text: string, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
  seq: seq++,
  at: at(seq),
  actor: 'system',
  kind,
  text,
  ...extra,
});

const timeline = [
  event('declared', 'INC-7 declared', { actor: 'Alice', via: 'token' }),
  event('page', 'Paged Engineer A by email: [P1] INC-7'),
  ...Array.from({ length: 5 }, (_, i) => event('runbook', `step ${i} done`)),
  event('ack', 'Acknowledged', { actor: 'Engineer A', via: 'ack-link' }),
  event('notification', 'Notified CTO by email: [P1] INC-7'),
  event('warning', 'Notified CEO: SMS not delivered, kept in the outbox: [P1] INC-7'),
  event('notification', 'Notified Comms by email: [P1] INC-7'),
  event('runbook', 'one more step'),
  event('note', 'rolled back', { actor: 'Alice', via: 'token' }),
  event('runbook', 'a lone step'),
];

test('runs of three or more system details fold; people, pages and short runs stay', () => {
  const folded = foldTimeline(timeline);
  expect(folded.map((e) => ('folded' in e ? `folded:${e.folded.length}` : e.kind))).toEqual([
    'declared',
    'page',
    'folded:5',
    'ack',
    'folded:4',
    'note',
    'runbook',
  ]);
});

test('show prints one line per fold naming where the detail is, and --all prints every event', () => {
  const state = { incidentId: 'INC-7', timeline, deadlines: {}, severity: 'P1', title: 't', service: 's' } as unknown as IncidentState;
  const shown = formatState(state);
  expect(shown).toContain('5 runbook events (incidentctl show INC-7 --evidence; --all to list them)');
  expect(shown).toContain('1 runbook event, 3 notifications');
  expect(shown).not.toContain('step 3 done');
  expect(formatState(state, { all: true })).toContain('step 3 done');
});
