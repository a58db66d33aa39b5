// What chat shows of an incident at time T: pure, against the shipped policy.
import { loadPolicy } from '../../policy/load';
import { notificationMessage } from '../messages';
import { chatView } from './chat-view';
import { initialModel, record } from './state';

const policy = loadPolicy();
const T0 = Date.parse('2026-11-28T10:00:00Z');

function incident(severity: 'P0' | 'P1' | 'P3', chat = true) {
  const m = initialModel(
    { title: 'API 5xx spike', severity, service: 'api', source: 'manual', declaredBy: 'alice', policy },
    new Date(T0).toISOString(),
  );
  m.state.number = 7;
  m.state.incidentId = 'INC-7';
  if (chat) m.book.chat = { cursor: 0, problems: [], approvals: [] };
  return m;
}

test('no chat view without a chat lane (a worker without Slack, or a policy without it)', () => {
  expect(chatView(incident('P1', false), 'wf', {})).toBeUndefined();
});

test('invites whoever was paged and the commander, with their account on each platform', () => {
  const m = incident('P1');
  m.state.pagedContacts = ['engineer-a'];
  m.state.commander = 'ic';
  const v = chatView(m, 'wf', {})!;
  expect(v.invite).toEqual([
    { contactId: 'engineer-a', ids: { slack: 'U01ENGINRA' } },
    { contactId: 'ic', ids: { slack: 'U01INCCMDR' } },
  ]);
  expect(v.commander).toBe('Incident Commander');
});

test('new events are those after the cursor, at most 25 per post', () => {
  const m = incident('P1');
  for (let i = 0; i < 30; i++) record(m, T0 + i, 'note', 'alice', `note ${i}`);
  const first = chatView(m, 'wf', {})!;
  expect(first.newEvents).toHaveLength(25);
  m.book.chat!.cursor = first.newEvents.at(-1)!.seq;
  expect(chatView(m, 'wf', {})!.newEvents.map((e) => e.text)).toEqual(['note 25', 'note 26', 'note 27', 'note 28', 'note 29']);
  expect(chatView(m, 'wf', {})!.lastEvents.map((e) => e.text)).toEqual(['note 27', 'note 28', 'note 29']);
});

test('the shipped policy gives P0 a war room, P1 none; the executive notification carries it', () => {
  expect(chatView(incident('P0'), 'wf', {})!.warRoom).toBe('https://meet.example.com/incident-7');
  expect(chatView(incident('P1'), 'wf', {})!.warRoom).toBeUndefined();
  expect(notificationMessage(policy, incident('P0').state, T0, 'executive').body).toContain(
    'War room: https://meet.example.com/incident-7',
  );
  expect(notificationMessage(policy, incident('P1').state, T0, 'executive').body).not.toContain('War room');
});

test('the next deadline is the escalation first; nothing once resolved', () => {
  const m = incident('P1');
  expect(chatView(m, 'wf', { nextEscalation: '2026-11-28T10:05:00.000Z', nextStatusUpdate: 'x' })!.next).toBe(
    'escalation at 2026-11-28T10:05:00.000Z',
  );
  m.state.status = 'resolved';
  expect(chatView(m, 'wf', { nextStatusUpdate: 'x' })!.next).toBeUndefined();
});
