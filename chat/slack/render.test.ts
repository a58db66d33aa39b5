// What Slack shows: pure, against a view as the workflow makes it.
import type { ChatView } from '../../contract';
import { SLACK_ACTIONS } from './ids';
import { channelName, esc, incidentButtons, summaryMessage, topic } from './render';

const view: ChatView = {
  incidentNumber: 42,
  incidentId: 'INC-42',
  workflowId: 'alertmanager-abc',
  title: 'API 5xx spike <!channel> & more',
  service: 'api',
  severity: 'P1',
  status: 'open',
  phase: 'triage',
  declaredAt: '2026-11-28T10:00:00.000Z',
  lastEvents: [{ seq: 1, at: '2026-11-28T10:00:01.000Z', actor: 'system', kind: 'page', text: 'Paged <@U1>' }],
  newEvents: [],
  invite: [],
  escalation: { level: 0, cycle: 0, names: [] },
  statusUpdates: 0,
  approvals: [],
};

test('channel names follow the template within Slack’s rules', () => {
  expect(channelName('inc-{number}-{slug}', view)).toBe('inc-42-api-5xx-spike-channel-more');
  expect(channelName('inc-{number}-{service}', view)).toBe('inc-42-api');
  expect(channelName('inc-{number}-{slug}', { ...view, title: 'x'.repeat(200) })).toHaveLength(80);
  expect(channelName('{slug}', { ...view, title: '!!!' })).toBe('inc-42');
});

test('text people wrote cannot mention or link (Slack’s escaping)', () => {
  expect(esc('<!channel> & <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  const message = summaryMessage(view, { temporalUi: 'http://ui', namespace: 'default' });
  // Slack parses the fallback text and mrkdwn for mentions and links; plain_text (the header) it shows as it is.
  const parsed = JSON.stringify(
    [message.text, ...JSON.stringify(message.blocks).matchAll(/"type":"mrkdwn","text":"((?:[^"\\]|\\.)*)"/g)].map(String),
  );
  expect(parsed).not.toContain('<!channel>');
  expect(parsed).not.toContain('<@U1>');
  expect(parsed).toContain('&lt;!channel&gt;');
  expect(parsed).toContain('<http://ui/namespaces/default/workflows/alertmanager-abc|Open in Temporal>');
});

test('buttons follow the incident: no Acknowledge once acknowledged, none once resolved', () => {
  const ids = (v: Pick<ChatView, 'incidentId' | 'status'>) =>
    incidentButtons(v).flatMap((b) => ('elements' in b ? (b.elements as { action_id: string }[]).map((e) => e.action_id) : []));
  expect(ids(view)).toEqual([SLACK_ACTIONS.acknowledge, SLACK_ACTIONS.escalate, SLACK_ACTIONS.resolve, SLACK_ACTIONS.note]);
  expect(ids({ ...view, status: 'acknowledged' })).toEqual([SLACK_ACTIONS.escalate, SLACK_ACTIONS.resolve, SLACK_ACTIONS.note]);
  expect(ids({ ...view, status: 'resolved' })).toEqual([]);
  expect(topic({ ...view, commander: 'Ann' })).toBe('P1 · OPEN · phase triage · commander Ann · INC-42');
});
