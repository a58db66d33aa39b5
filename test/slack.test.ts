/**
 * Slack, end to end through a stand-in of Slack's Web API (the real WebClient, via slackApiUrl):
 * an alert from the real Alertmanager opens a channel and pages in it; signed button presses and
 * `/incident` act as the policy's contact (recorded `chat`); forged, replayed and stale requests change
 * nothing; the pinned summary follows the incident; the review archives the channel; the end-of-day
 * summary arrives at its hour; a rate-limit storm is waited out without a duplicate post.
 */
import { existsSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { ChatLedger } from '../chat/slack/ledger';
import { createSlackClient } from '../chat/slack/client';
import { createSlackActivities as createChatActivities } from '../chat/slack/activities';
import { SLACK_ACTIONS, SLACK_MODALS } from '../chat/slack/ids';
import { addNoteUpdate, reviewWorkflowId, stateQuery, submitPostMortemUpdate, type ChatView, type IncidentState } from '../contract';
import { SLACK_STANDIN_TOKEN, STANDIN_CHANNELS, slackSignature, startSlackStandin, type SlackStandin } from '../dev/slack-standin';
import { ensureEndOfDaySchedule } from '../workers/digest-schedule';
import { ALERTMANAGER_BIN, startAlertmanager, type RunningAlertmanager } from './helpers/alertmanager';
import {
  TEST_IDENTITY_SECRET,
  declareIncident,
  startTestWorker,
  testPolicy,
  uniqueQueue,
  useIncidentHarness,
  waitFor,
  type RunningTestWorker,
} from './helpers/harness';
import { WEBHOOK_TOKEN, startWebhook, type TestWebhook } from './helpers/webhook';
import { firingAlert, gatedRunbook, startRunbookHost, waitForStep } from './helpers/runbooks';

const SIGNING_SECRET = 'slack-signing-secret-test';
const policy = testPolicy({ review: { ...testPolicy().review, requiredSections: [] } });

let slack: SlackStandin;
let web: TestWebhook;
let am: RunningAlertmanager | undefined;
const extraWorkers: RunningTestWorker[] = [];
const h = useIncidentHarness({
  name: 'slack',
  policy,
  worker: false,
  isolatedStore: true,
  beforeTeardown: async () => {
    await am?.stop();
    await web?.close();
    for (const w of extraWorkers) await w.stop();
  },
});
afterAll(() => slack?.close());

beforeAll(async () => {
  slack = await startSlackStandin();
  h.worker = await startTestWorker(h.env, { taskQueue: h.taskQueue, policy, smtpUrl: h.smtp.url, slackApiUrl: slack.apiUrl });
  extraWorkers.push(h.worker);
  web = await startWebhook(h.env.client, h.taskQueue, policy, 5000, undefined, {
    slack: {
      signingSecret: SIGNING_SECRET,
      identitySecret: TEST_IDENTITY_SECRET,
      ledger: new ChatLedger(h.env.pool),
      slack: createSlackClient({ botToken: SLACK_STANDIN_TOKEN, apiUrl: slack.apiUrl }),
      responseOrigins: [slack.origin],
    },
  });
});

/** Posts to our server as Slack does: form body, `v0:timestamp:body` HMAC-SHA256 signature. */
async function fromSlack(
  path: '/slack/commands' | '/slack/interactions',
  body: string,
  options: { secret?: string; timestamp?: number; signature?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; signature: string; timestamp: number }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body);
  const response = await fetch(`${web.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, signature, timestamp };
}

let requestNo = 0;
const interaction = (payload: object) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const press = (userId: string, actionId: string, value: string, channel: string) => {
  const hook = `press-${++requestNo}`;
  return {
    hook,
    body: interaction({
      type: 'block_actions',
      user: { id: userId },
      trigger_id: `trigger-${requestNo}`,
      response_url: slack.responseUrl(hook),
      channel: { id: channel },
      actions: [{ action_id: actionId, value }],
    }),
  };
};
const slash = (userId: string, text: string, channel: string) => {
  const hook = `command-${++requestNo}`;
  return {
    hook,
    body: new URLSearchParams({
      command: '/incident',
      text,
      user_id: userId,
      channel_id: channel,
      response_url: slack.responseUrl(hook),
    }).toString(),
  };
};
const responseTo = (hook: string) => waitFor(() => slack.responses.find((r) => r.path.endsWith(`/${hook}`))?.body, `a response to ${hook}`);
const summaryOf = async (incidentNumber: number) => {
  const row = await new ChatLedger(h.env.pool).get(String(incidentNumber), 'summary');
  return slack.messages.find((m) => m.channel === row?.channel && m.ts === row?.ts);
};

async function incidentOfChannel(channelId: string): Promise<WorkflowHandle> {
  const number = await waitFor(() => new ChatLedger(h.env.pool).incidentOfChannel(channelId), 'the channel in the ledger');
  const listed = await waitFor(async () => {
    for await (const w of h.env.client.workflow.list({ query: `IncidentId = "INC-${number}" AND WorkflowType = "incidentWorkflow"` }))
      return w.workflowId;
    return undefined;
  }, 'the incident in visibility');
  return h.env.client.workflow.getHandle(listed);
}
const stateOf = (handle: WorkflowHandle) => handle.query(stateQuery) as Promise<IncidentState>;

const haveAlertmanager = existsSync(ALERTMANAGER_BIN);
(haveAlertmanager ? test : test.skip)(
  'a P1 from Alertmanager gets a channel and a page with buttons; a signed press acknowledges as that person; forged, replayed and stale requests change nothing; /incident resolves it; the review archives the channel',
  async () => {
    am = await startAlertmanager(`${web.url}/alertmanager`, WEBHOOK_TOKEN);
    const alertname = `Api5xxSpike${Date.now() % 100000}`;
    await am.push([{ labels: { alertname, severity: 'critical', service: 'api' }, annotations: { summary: 'API 5xx spike' } }]);

    // A channel of its own, named after the incident; the on-call person invited; the page and the summary in it.
    const channel = await waitFor(
      () => [...slack.channels.values()].find((c) => c.name.startsWith('inc-') && c.name.endsWith('api-5xx-spike')),
      'the incident channel',
    );
    const handle = await incidentOfChannel(channel.id);
    const opened = await stateOf(handle);
    expect(opened.severity).toBe('P1');
    expect(channel.name).toBe(`inc-${opened.number}-api-5xx-spike`);
    const onCall = policy.contacts.find((c) => c.id === opened.pagedContacts![0])!;
    await waitFor(() => channel.members.includes(onCall.chat!.slack!), 'the on-call person invited');
    const page = await waitFor(() => slack.inChannel(channel.id).find((m) => m.text.includes(':rotating_light:')), 'the page message');
    const buttons = (page.blocks as { type: string; elements?: { action_id: string }[] }[]).find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual([
      SLACK_ACTIONS.acknowledge,
      SLACK_ACTIONS.escalate,
      SLACK_ACTIONS.resolve,
      SLACK_ACTIONS.note,
    ]);
    const summary = await waitFor(() => summaryOf(opened.number), 'the summary');
    await waitFor(() => channel.pins.includes(summary.ts), 'the summary pinned');
    expect(channel.topic).toContain('P1');
    // The plan's channels: the new incident in #incidents (pointing at the channel), the page in #on-call.
    await waitFor(
      () => slack.inChannel(STANDIN_CHANNELS.incidents).find((m) => m.text.includes(opened.incidentId) && m.text.includes(channel.id)),
      '#incidents',
    );
    await waitFor(
      () => slack.inChannel(STANDIN_CHANNELS.onCall).find((m) => m.text.includes(opened.incidentId) && m.text.includes('paging')),
      '#on-call',
    );

    // Forged (another secret), stale (10 minutes old) and unsigned presses are refused; nothing changes.
    const forged = press(onCall.chat!.slack!, SLACK_ACTIONS.acknowledge, opened.incidentId, channel.id);
    expect((await fromSlack('/slack/interactions', forged.body, { secret: 'not-the-secret' })).status).toBe(401);
    const stale = press(onCall.chat!.slack!, SLACK_ACTIONS.acknowledge, opened.incidentId, channel.id);
    expect((await fromSlack('/slack/interactions', stale.body, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
    expect((await fromSlack('/slack/interactions', stale.body, { signature: 'v0=' })).status).toBe(401);
    // A stranger (no contact has this Slack id) is told politely; nothing changes.
    const stranger = press('U0STRANGER', SLACK_ACTIONS.acknowledge, opened.incidentId, channel.id);
    expect((await fromSlack('/slack/interactions', stranger.body)).status).toBe(200);
    expect(String((await responseTo(stranger.hook)).text)).toMatch(/not a contact in the incident policy.*Nothing was changed/);
    expect((await stateOf(handle)).status).toBe('open');

    // The on-call person presses Acknowledge: recorded as them, verified by chat.
    const ack = press(onCall.chat!.slack!, SLACK_ACTIONS.acknowledge, opened.incidentId, channel.id);
    const pressed = await fromSlack('/slack/interactions', ack.body);
    expect(pressed.status).toBe(200);
    expect(String((await responseTo(ack.hook)).text)).toContain(`${opened.incidentId}: acknowledged (as ${onCall.name})`);
    const acked = await stateOf(handle);
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: onCall.name, acknowledgedVia: 'chat' });
    // The same request again (a replay, within its five minutes) is refused.
    const replayed = await fetch(`${web.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(pressed.timestamp),
        'x-slack-signature': pressed.signature,
      },
      body: ack.body,
    });
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain('replay');
    // The page message follows: no Acknowledge button once acknowledged.
    await waitFor(() => page.updates > 0 && !JSON.stringify(page.blocks).includes(SLACK_ACTIONS.acknowledge), 'the page updated');

    // /incident in the channel (no id needed) resolves it with a root cause, as the commander.
    const ic = policy.contacts.find((c) => c.id === 'ic')!;
    const resolve = slash(ic.chat!.slack!, 'resolve connection pool exhausted after deploy 4812 | rolled back 4812', channel.id);
    const answered = await fromSlack('/slack/commands', resolve.body);
    expect(answered.status).toBe(200);
    const answerText = String(answered.body.text);
    if (answerText === 'Working on it…') expect(String((await responseTo(resolve.hook)).text)).toContain('resolved');
    else expect(answerText).toContain(`${opened.incidentId}: resolved (as ${ic.name})`);
    const resolved = await waitFor(async () => {
      const s = await stateOf(handle).catch(() => undefined);
      return s?.status === 'resolved' ? s : undefined;
    }, 'resolution');
    expect(resolved).toMatchObject({ resolvedBy: ic.name, resolvedVia: 'chat', rootCause: 'connection pool exhausted after deploy 4812' });

    // The pinned summary shows the final state (updated in place, never posted again).
    await waitFor(async () => JSON.stringify((await summaryOf(opened.number))?.blocks ?? '').includes('RESOLVED'), 'the final summary');
    const final = (await summaryOf(opened.number))!;
    expect(JSON.stringify(final.blocks)).toContain('connection pool exhausted after deploy 4812');
    expect(slack.inChannel(channel.id).filter((m) => m.text.startsWith(`${opened.incidentId} P1`))).toHaveLength(1);
    await waitFor(
      () => slack.inChannel(STANDIN_CHANNELS.incidents).find((m) => m.text.includes(opened.incidentId) && m.text.includes('resolved by')),
      'the resolution in #incidents',
    );

    // The review completes: the channel is archived.
    const review = h.env.client.workflow.getHandle(reviewWorkflowId(opened.incidentId));
    await waitFor(
      () =>
        review.describe().then(
          () => true,
          () => false,
        ),
      'the review',
    );
    await review.executeUpdate(submitPostMortemUpdate, { args: [{ by: 'ic', markdown: '# Post-mortem\n\nPool exhausted; rolled back.' }] });
    await review.result();
    expect(channel.archived).toBe(true);
    expect(slack.inChannel(channel.id).some((m) => m.text.includes('archiving this channel'))).toBe(true);
    // Every person's action from Slack is on the timeline with its method.
    const rows = await h.env.pool.query<{ via: string }>(
      'SELECT DISTINCT via FROM timeline_events WHERE incident_number = $1 AND via IS NOT NULL',
      [opened.number],
    );
    expect(rows.rows.map((r) => r.via)).toEqual(['chat']);
  },
  120_000,
);

test('/incident declare opens a P2 with its channel; Resolve opens a modal whose submission resolves it; Add note, status and a stranger', async () => {
  const ic = policy.contacts.find((c) => c.id === 'ic')!;
  const title = `Search latency ${Date.now() % 100000}`;
  const declare = slash(ic.chat!.slack!, `declare P2 search ${title}`, STANDIN_CHANNELS.incidents);
  const declared = await fromSlack('/slack/commands', declare.body);
  expect(declared.status).toBe(200);
  const said = String(declared.body.text) === 'Working on it…' ? String((await responseTo(declare.hook)).text) : String(declared.body.text);
  const incidentId = /INC-\d+/.exec(said)![0];
  expect(said).toContain(`declared [P2] ${title} by ${ic.name}`);
  const channel = await waitFor(
    () => slack.channelByName(`inc-${incidentId.slice(4)}-search-latency-${title.split(' ').at(-1)}`),
    'the P2 channel',
  );

  // A stranger's command changes nothing.
  const stranger = await fromSlack('/slack/commands', slash('U0STRANGER', `note ${incidentId} hello`, channel.id).body);
  expect(String(stranger.body.text)).toContain('not a contact in the incident policy');
  // Nor does a stranger read the incident: internal titles are for the policy's people.
  const peek = await fromSlack('/slack/commands', slash('U0STRANGER', `status ${incidentId}`, channel.id).body);
  expect(String(peek.body.text)).toContain('not a contact in the incident policy');
  expect(String(peek.body.text)).not.toContain(incidentId);

  // Resolve: the button opens a modal; its submission resolves the incident as the person.
  const button = press(ic.chat!.slack!, SLACK_ACTIONS.resolve, incidentId, channel.id);
  expect((await fromSlack('/slack/interactions', button.body)).status).toBe(200);
  const opened = slack.calls.find((c) => c.method === 'views.open' && c.args.trigger_id === `trigger-${requestNo}`)!;
  const view = opened.args.view as { callback_id: string; private_metadata: string };
  expect(view.callback_id).toBe(SLACK_MODALS.resolve);
  const submit = (values: Record<string, string>) =>
    interaction({
      type: 'view_submission',
      user: { id: ic.chat?.slack },
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { [k]: { value: v } }])) },
      },
    });
  const status = await fromSlack('/slack/commands', slash(ic.chat!.slack!, 'status', channel.id).body);
  expect(String(status.body.text)).toContain(`*${incidentId}* P2 open`);
  const submitted = await fromSlack(
    '/slack/interactions',
    submit({ rootCause: 'a cold index after failover', resolution: 'warmed the index' }),
  );
  expect(submitted.status).toBe(200);
  expect(submitted.body).toEqual({});
  const handle = await incidentOfChannel(channel.id);
  const state = await waitFor(async () => {
    const s = await stateOf(handle).catch(() => undefined);
    return s?.status === 'resolved' ? s : undefined;
  }, 'resolution from the modal');
  expect(state).toMatchObject({
    rootCause: 'a cold index after failover',
    resolution: 'warmed the index',
    resolvedBy: ic.name,
    resolvedVia: 'chat',
  });
  // Resolving again from the modal is refused in the modal, naming why.
  const again = await fromSlack('/slack/interactions', submit({ rootCause: 'x', resolution: 'y' }));
  expect(again.body).toMatchObject({ response_action: 'errors' });
}, 90_000);

test('a 429 storm is waited out (Retry-After) without a duplicate post; a channel Slack does not know is said once on the timeline; P3 goes to a thread in #incidents', async () => {
  const taskQueue = uniqueQueue('slack-storm');
  const stormPolicy = testPolicy({
    chat: { ...policy.chat, slack: { ...policy.chat.slack, channels: { ...policy.chat.slack.channels, onCall: '#nowhere' } } },
  });
  extraWorkers.push(await startTestWorker(h.env, { taskQueue, policy: stormPolicy, smtpUrl: h.smtp.url, slackApiUrl: slack.apiUrl }));
  const before = slack.calls.length;
  slack.rateLimitNext(4, 1);
  const title = `Queue depth ${Date.now() % 100000}`;
  const { handle, state } = await declareIncident(h.env, taskQueue, { title, severity: 'P3', service: 'queue', policy: stormPolicy });
  const parent = await waitFor(
    () => slack.inChannel(STANDIN_CHANNELS.incidents).find((m) => m.text.includes(state.incidentId) && m.text.includes('thread')),
    'the thread parent',
    45_000,
  );
  const thread = () => slack.messages.filter((m) => m.threadTs === parent.ts);
  await waitFor(() => thread().some((m) => m.text.includes(':rotating_light:')), 'the page in the thread');
  await waitFor(
    async () => (await stateOf(handle)).timeline.some((e) => e.text.includes('#nowhere: channel_not_found')),
    'the problem on the timeline',
  );
  await handle.executeUpdate(addNoteUpdate, { args: [{ by: 'tester', text: 'after the storm' }] });
  await waitFor(() => thread().some((m) => m.text.includes('after the storm')), 'the note in the thread');
  const limited = slack.calls.slice(before).filter((c) => c.status === 429);
  expect(limited.length).toBe(4);
  // Every post once: no text twice in the thread, one parent, one page.
  const texts = thread().map((m) => m.text);
  expect(new Set(texts).size).toBe(texts.length);
  expect(
    slack.inChannel(STANDIN_CHANNELS.incidents).filter((m) => m.text.includes(state.incidentId) && m.text.includes('new incident')),
  ).toHaveLength(1);
  const problems = (await stateOf(handle)).timeline.filter((e) => e.text.includes('channel_not_found'));
  expect(problems).toHaveLength(1);
  // Slack's pace: this incident's posts to #incidents (by name or id, 429 retries included) at least a second apart.
  const posts = slack.calls
    .slice(before)
    .filter(
      (c) =>
        c.method === 'chat.postMessage' &&
        [STANDIN_CHANNELS.incidents, '#incidents'].includes(String(c.args.channel)) &&
        (c.args.thread_ts === parent.ts || String(c.args.text).includes(state.incidentId)),
    );
  expect(posts.length).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < posts.length; i++) expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(950);
}, 90_000);

test('the end-of-day summary arrives in #engineering at its hour, from a Schedule in the policy’s time zone', async () => {
  const at = new Date(Date.now() + 60_000);
  const hhmm = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
  const scheduleId = `end-of-day-${uniqueQueue('eod')}`;
  await ensureEndOfDaySchedule(h.env.client, h.taskQueue, { at: hhmm, timeZone: 'UTC' }, scheduleId);
  try {
    const described = await h.env.client.schedule.getHandle(scheduleId).describe();
    expect(described.spec.timezone).toBe('UTC');
    const next = described.info.nextActionTimes[0]!;
    expect(next.toISOString().slice(11, 16)).toBe(hhmm);
    const posted = await waitFor(
      () => slack.inChannel(STANDIN_CHANNELS.engineering).find((m) => m.text.includes('End-of-day incident summary')),
      'the end-of-day summary',
      100_000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(next.getTime());
    expect(posted.text).toMatch(/Open incidents \(\d+\)/);
    expect(posted.text).toMatch(/Resolved today \(\d+\)/);
    expect(posted.text).toContain('Overdue post-mortems');
    expect(posted.text).toContain('Overdue action items');
  } finally {
    await h.env.client.schedule.getHandle(scheduleId).delete();
  }
}, 130_000);

/** The chat activities as a worker makes them, on the stand-in, with no pace (tests of the ledger). */
const slackActivities = (client = createSlackClient({ botToken: SLACK_STANDIN_TOKEN, apiUrl: slack.apiUrl })) =>
  createChatActivities({
    slack: client,
    ledger: new ChatLedger(h.env.pool),
    slackPolicy: policy.chat.slack,
    links: { temporalUi: 'http://ui', namespace: 'default' },
    minGapMs: 0,
  });

/** A P1 just declared, as the workflow's chat view shows it, before anyone is paged. */
const openView = (number: number, over: Partial<ChatView>): ChatView => ({
  incidentNumber: number,
  incidentId: `INC-${number}`,
  workflowId: `wf-${number}`,
  title: 'Incident',
  service: 'api',
  severity: 'P1',
  status: 'open',
  phase: 'detect',
  declaredAt: new Date().toISOString(),
  lastEvents: [],
  newEvents: [],
  invite: [],
  escalation: { level: 0, cycle: 0, levelName: 'On-call', names: ['on-call'] },
  statusUpdates: 0,
  approvals: [],
  ...over,
});

test('a retried sync posts nothing twice, and a restarted worker updates the page and the pinned summary in place', async () => {
  const number = 900_000_000 + Math.floor(Math.random() * 1_000_000);
  const worker = () => slackActivities();
  const view = openView(number, {
    title: 'Restart drill',
    newEvents: [{ seq: 1, at: new Date().toISOString(), actor: 'system', kind: 'declared', text: 'Declared' }],
    invite: [{ contactId: 'engineer-a', ids: { slack: 'U01ENGINRA' } }],
  });
  const first = worker();
  await first.syncIncidentChat(view);
  const posted = slack.messages.length;
  await first.syncIncidentChat(view); // Temporal retrying the same sync
  expect(slack.messages.length).toBe(posted);

  const restarted = worker();
  await restarted.syncIncidentChat({ ...view, status: 'acknowledged', acknowledgedBy: 'Engineer A', newEvents: [] });
  expect(slack.messages.length).toBe(posted);
  const channel = slack.channelByName(`inc-${number}-restart-drill`)!;
  const inChannel = slack.inChannel(channel.id);
  expect(inChannel.find((m) => m.text.startsWith(`INC-${number} P1 acknowledged`))!.updates).toBe(1);
  expect(inChannel.find((m) => m.text.includes(':rotating_light:'))!.updates).toBe(1);
  expect(channel.pins).toHaveLength(1);
  expect(slack.calls.filter((c) => c.method === 'conversations.create' && c.args.name === channel.name)).toHaveLength(1);
});

test("a team's incidents are announced in its own channel, a P3 threaded there; who was brought in is announced in #on-call, once", async () => {
  slack.channels.set('C0TEAMDB', { id: 'C0TEAMDB', name: 'team-db', topic: '', archived: false, members: [], pins: [] });
  const activities = createChatActivities({
    slack: createSlackClient({ botToken: SLACK_STANDIN_TOKEN, apiUrl: slack.apiUrl }),
    ledger: new ChatLedger(h.env.pool),
    slackPolicy: policy.chat.slack,
    teamChannels: { db: '#team-db' },
    links: { temporalUi: 'http://ui', namespace: 'default' },
    minGapMs: 0,
  });
  const low = 900_000_000 + Math.floor(Math.random() * 1_000_000);
  await activities.syncIncidentChat(openView(low, { title: 'Replica lag', severity: 'P3', team: 'db' }));
  const thread = slack.inChannel('C0TEAMDB').find((m) => m.text.startsWith(`INC-${low} P3`))!;
  expect(thread).toBeDefined();
  expect(slack.inChannel(STANDIN_CHANNELS.incidents).filter((m) => m.text.includes(`INC-${low}`))).toEqual([]);

  const high = low + 1;
  const view = openView(high, {
    title: 'Primary down',
    severity: 'P1',
    team: 'db',
    responders: [{ who: 'the on-call of team Payments (payments)', by: 'gita' }],
  });
  await activities.syncIncidentChat(view);
  await activities.syncIncidentChat(view); // retried: nothing twice
  expect(
    slack.inChannel('C0TEAMDB').filter((m) => m.text.includes(`INC-${high}`) && m.text.includes('new incident, coordinating')),
  ).toHaveLength(1);
  expect(slack.inChannel(STANDIN_CHANNELS.incidents).filter((m) => m.text.includes(`INC-${high}`))).toEqual([]);
  const brought = slack.inChannel(STANDIN_CHANNELS.onCall).filter((m) => m.text.includes(`INC-${high}`) && m.text.includes('bringing in'));
  expect(brought.map((m) => m.text)).toEqual([expect.stringContaining('bringing in the on-call of team Payments (payments) (by gita)')]);
});

test.each([
  ['P1', 'its own channel'],
  ['P3', 'the #incidents thread'],
] as const)(
  'a worker killed between Slack taking a post and the ledger hearing of it: the next attempt finds the post and sends it once (%s, %s)',
  async (severity, _home) => {
    const number = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    // The first post reaches Slack, then the worker dies before the ledger says "posted".
    const dying = createSlackClient({ botToken: SLACK_STANDIN_TOKEN, apiUrl: slack.apiUrl });
    const reallyPost = dying.chat.postMessage.bind(dying.chat);
    dying.chat.postMessage = async (args: Parameters<typeof reallyPost>[0]) => {
      await reallyPost(args);
      throw new Error('worker killed');
    };
    const view = openView(number, { title: 'Killed mid-post', severity });
    const before = slack.messages.length;
    await expect(slackActivities(dying).syncIncidentChat(view)).rejects.toThrow('worker killed');
    const died = slack.messages.slice(before);
    expect(died).toHaveLength(1);

    await slackActivities().syncIncidentChat(view);
    const sent = slack.messages.slice(before);
    expect(sent.filter((m) => m.text === died[0]!.text && m.channel === died[0]!.channel)).toHaveLength(1);
    expect(sent.some((m) => m.text.startsWith(`INC-${number} ${severity}`))).toBe(true); // the rest of the sync went on
    const rows = await h.env.pool.query<{ key: string; status: string; ts: string }>(
      'SELECT key, status, ts FROM chat_posts WHERE scope = $1',
      [String(number)],
    );
    expect(rows.rows.find((r) => r.ts === died[0]!.ts)?.status).toBe('posted');
    expect(rows.rows.filter((r) => r.status !== 'posted')).toEqual([]);
  },
);

test('an approval in the channel: Approve by someone who is no approver is refused and nothing runs; an approver’s press runs the step as them', async () => {
  const { host, policy: gated, marked } = gatedRunbook('slack-approve');
  const taskQueue = uniqueQueue('slack-approve');
  extraWorkers.push(await startTestWorker(h.env, { taskQueue, policy: gated, smtpUrl: h.smtp.url, slackApiUrl: slack.apiUrl }));
  const hostWorker = await startRunbookHost(h.env, { host, policy: gated });
  try {
    const { handle, state } = await declareIncident(h.env, taskQueue, {
      policy: gated,
      severity: 'P1',
      commander: 'ic',
      source: 'alertmanager',
      alerts: [firingAlert('gate-alert')],
    });
    await waitForStep(h.env, handle, 'gate/change', ['awaiting-approval']);
    const value = `${state.incidentId} gate/change`;
    const approval = await waitFor(
      () => slack.messages.find((m) => m.text.startsWith('Approval needed') && JSON.stringify(m.blocks).includes(value)),
      'the approval in Slack',
    );

    const engineer = policy.contacts.find((c) => c.id === 'engineer-a')!;
    const refused = press(engineer.chat!.slack!, SLACK_ACTIONS.approve, value, approval.channel);
    expect((await fromSlack('/slack/interactions', refused.body)).status).toBe(200);
    expect(String((await responseTo(refused.hook)).text)).toContain('engineer-a may not approve runbook steps');
    expect((await waitForStep(h.env, handle, 'gate/change', ['awaiting-approval'])).approvedBy).toBeUndefined();
    expect(marked()).toBe(false);

    const lead = policy.contacts.find((c) => c.id === 'eng-lead')!;
    const approved = press(lead.chat!.slack!, SLACK_ACTIONS.approve, value, approval.channel);
    expect((await fromSlack('/slack/interactions', approved.body)).status).toBe(200);
    expect(String((await responseTo(approved.hook)).text)).toContain(`${state.incidentId}: step gate/change approved (as ${lead.name})`);
    expect((await waitForStep(h.env, handle, 'gate/change', ['succeeded'])).approvedBy).toBe('eng-lead');
    expect(marked()).toBe(true);
  } finally {
    await hostWorker.stop();
  }
}, 90_000);
