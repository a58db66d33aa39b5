import { pageMetrics } from '../activities/metrics';
import { acknowledgeUpdate, stateQuery } from '../contract';
import { declareIncident, sleep, testPolicy, waitFor, useIncidentHarness } from './helpers/harness';
import { TWILIO_FROM } from '../dev/twilio-standin';

const base = testPolicy();
// The plan's channel rules, no repeats, and an engineer whose number Twilio rejects.
const policy = testPolicy({
  severities: {
    P0: { ...base.severities.P0, channels: ['call', 'sms', 'email'] },
    P1: { ...base.severities.P1, channels: ['call', 'sms', 'email'] },
    P2: { ...base.severities.P2, channels: ['sms', 'email'] },
    P3: { ...base.severities.P3, channels: ['sms'] },
  },
  escalation: { ...base.escalation, repeat: { times: 0, interval: '4s' } },
});
const h = useIncidentHarness({ name: 'phone', policy, twilio: true });
const { taskQueue } = h;
const PHONES = Object.fromEntries(policy.contacts.map((c) => [c.id, c.phone]));

const phoneRequestsFor = (id: string) => h.twilio.requests.filter((r) => (r.Body ?? r.Twiml ?? '').includes(id));
const emailPagesFor = (id: string) => h.smtp.mails.filter((m) => m.subject.includes(`${id}:`) && m.subject.includes('(page:'));

test('a P0 with no acknowledgement calls, texts and emails every level, each exactly once', async () => {
  const { state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P0', title: 'Complete application down' });
  const id = state.incidentId;
  const levels = ['eng-lead', 'cto', 'ceo'];
  await waitFor(() => phoneRequestsFor(id).length >= 8 && emailPagesFor(id).length >= 4, 'calls, texts and emails to four people', 20_000);
  await sleep(2000);
  const requests = phoneRequestsFor(id);
  const onCall = requests.find((r) => !levels.some((l) => PHONES[l] === r.To))!.To;
  for (const phone of [onCall, ...levels.map((l) => PHONES[l]!)]) {
    expect(requests.filter((r) => r.To === phone && r.kind === 'call')).toHaveLength(1);
    expect(requests.filter((r) => r.To === phone && r.kind === 'sms')).toHaveLength(1);
  }
  expect(requests).toHaveLength(8);
  const emailed = emailPagesFor(id).flatMap((m) => m.to);
  expect(emailed).toHaveLength(4);
  expect(emailed).toEqual(
    expect.arrayContaining(['ceo@example.com', 'cto@example.com', 'eng-lead@example.com', expect.stringMatching(/^engineer-/)]),
  );
  const sms = requests.find((r) => r.kind === 'sms')!;
  expect(sms).toMatchObject({ From: TWILIO_FROM });
  expect(sms.Body).toContain(`[P0] ${id}: Complete application down`);
  expect(sms.Body).toContain(`ACK ${id}`);
  expect(sms.Body!.length).toBeLessThanOrEqual(160);
  const call = requests.find((r) => r.kind === 'call')!;
  expect(call.Twiml).toMatch(/^<Response><Say>Incident INC \d+, severity P 0: Complete application down\./);

  // The same pages, counted for /metrics: by channel and outcome, and the time to the first page.
  const counted = (await pageMetrics.pages.get()).values;
  for (const channel of ['call', 'sms', 'email']) {
    expect(
      counted.find((v) => v.labels.kind === 'page' && v.labels.channel === channel && v.labels.outcome === 'sent')?.value,
    ).toBeGreaterThanOrEqual(4);
  }
  const firstPage = (await pageMetrics.firstPage.get()).values.find((v) => v.metricName === 'incident_first_page_seconds_count');
  expect(firstPage?.value).toBeGreaterThanOrEqual(1);
});

test('a permanent Twilio error falls back to the next channel; a 5xx is retried and sent once', async () => {
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P3', title: 'Disk space low' });
  // P3 pages by SMS only; the on-call engineer's number is rejected with 21211, so email takes over.
  const onCallPhone = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s?.timeline.find((e) => e.kind === 'page' || e.kind === 'warning') ? s : undefined;
  }, 'first page attempt');
  expect(onCallPhone.timeline.some((e) => e.kind === 'page' && e.text.includes('by SMS'))).toBe(true);

  const contact = policy.contacts.find((c) => c.id === 'engineer-b')!;
  h.twilio.rejectNumber(contact.phone!, 21211);
  const rejected = await declareIncident(h.env, taskQueue, {
    policy: { ...policy, oncall: { ...policy.oncall, rotation: ['engineer-b'] } },
    severity: 'P3',
    title: 'Cert expiring',
  });
  const timeline = await waitFor(async () => {
    const s = await rejected.handle.query(stateQuery);
    return s?.timeline.some((e) => e.text.includes('falling back to email')) ? s.timeline : undefined;
  }, 'fallback to email');
  expect(timeline.some((e) => e.kind === 'warning' && e.text.includes('21211'))).toBe(true);
  await waitFor(() => emailPagesFor(rejected.state.incidentId).find((m) => m.to.includes(contact.email)), 'fallback email');
  const row = await h.env.pool.query("SELECT status FROM pages WHERE incident_number = $1 AND channel = 'sms'", [rejected.state.number]);
  expect(row.rows).toEqual([{ status: 'failed' }]);

  h.twilio.failNext(1, 503);
  const retried = await declareIncident(h.env, taskQueue, { policy, severity: 'P3', title: 'Queue slow' });
  await waitFor(() => phoneRequestsFor(retried.state.incidentId).length === 1, 'SMS after a retry', 20_000);
  await sleep(1500);
  expect(phoneRequestsFor(retried.state.incidentId)).toHaveLength(1);
  void state;
});

test('an acknowledgement waits for pages already on their way, and stops every page after them', async () => {
  // P1: on-call at once, engineering lead at 3s, CTO at 6s. Twilio answers slowly, so the lead's call and
  // SMS (sent at once with the email) are on their way when the ack lands: it is confirmed after them.
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P1', title: 'Checkout errors' });
  const id = state.incidentId;
  await waitFor(() => emailPagesFor(id).length === 1, 'on-call page on all channels', 15_000);
  h.twilio.setDelay(1500);
  try {
    const leadPhone = PHONES['eng-lead'];
    await waitFor(() => h.twilio.requests.find((r) => r.To === leadPhone && (r.Twiml ?? '').includes(id)), 'lead call in flight', 15_000);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
    const ackedAt = Date.now();
    await sleep(4000);
    const after = [
      ...phoneRequestsFor(id).map((r) => r.receivedAt),
      ...h.smtp.mails.filter((m) => m.subject.includes(`${id}:`)).map((m) => m.receivedAt),
    ].filter((t) => t > ackedAt);
    expect(after).toEqual([]);
    // Each of the lead's pages on its way had its answer before the acknowledgement was confirmed.
    for (const r of h.twilio.requests.filter((r) => r.To === leadPhone && `${r.Twiml ?? ''}${r.Body ?? ''}`.includes(id)))
      expect(r.receivedAt + 1500).toBeLessThanOrEqual(ackedAt + 50);
    expect(h.twilio.requests.filter((r) => r.To === PHONES.cto && `${r.Twiml ?? ''}${r.Body ?? ''}`.includes(id))).toHaveLength(0);
    expect(emailPagesFor(id).filter((m) => m.to.includes('cto@example.com'))).toHaveLength(0);
  } finally {
    h.twilio.setDelay(0);
  }
});

test('internal status updates go to the distribution list through the policy channels, with phase and latest note', async () => {
  const statusPolicy = testPolicy({
    severities: { ...policy.severities, P1: { ...policy.severities.P1, ackSla: '60s', statusUpdateEvery: '2s' } },
    statusUpdateChannels: ['sms', 'email'],
  });
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy: statusPolicy, severity: 'P1', title: 'Search degraded' });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
  const comms = policy.contacts.find((c) => c.id === 'comms-lead')!;
  const sms = await waitFor(
    () =>
      h.twilio.requests.find(
        (r) => r.kind === 'sms' && r.To === comms.phone && (r.Body ?? '').startsWith(`[P1] ${state.incidentId} status:`),
      ),
    'status SMS',
    15_000,
  );
  expect(sms.Body).toContain('ack engineer-a');
  expect(sms.Body!.length).toBeLessThanOrEqual(160);
  const mail = await waitFor(
    () => h.smtp.mails.find((m) => m.subject.includes(`${state.incidentId} Status update`) && m.to.includes(comms.email)),
    'status email',
  );
  expect(mail.text).toMatch(/Phase: detect/);
});

describe("a person's notification rules", () => {
  // engineer-a: SMS at once, a call after 2 s, email after 4 s; nobody else is paged within the minute.
  const rulesPolicy = testPolicy({
    ...policy,
    severities: { ...policy.severities, P1: { ...policy.severities.P1, ackSla: '60s' } },
    oncall: { ...policy.oncall, rotation: ['engineer-a'] },
    contacts: policy.contacts.map((c) =>
      c.id === 'engineer-a'
        ? {
            ...c,
            notificationRules: [
              { channel: 'sms', after: '0s' },
              { channel: 'call', after: '2s' },
              { channel: 'email', after: '4s' },
            ],
          }
        : c,
    ),
  });
  const engineer = policy.contacts.find((c) => c.id === 'engineer-a')!;
  const toEngineer = (id: string) => ({
    sms: phoneRequestsFor(id).filter((r) => r.To === engineer.phone && r.kind === 'sms'),
    call: phoneRequestsFor(id).filter((r) => r.To === engineer.phone && r.kind === 'call'),
    email: emailPagesFor(id).filter((m) => m.to.includes(engineer.email)),
  });

  test('unanswered, the page goes by SMS at once, a call after 2 s and email after 4 s, each once', async () => {
    const { handle, state } = await declareIncident(h.env, taskQueue, { policy: rulesPolicy, severity: 'P1', title: 'Login errors' });
    const id = state.incidentId;
    const sms = await waitFor(() => toEngineer(id).sms[0], 'the SMS');
    expect(toEngineer(id).call).toHaveLength(0);
    const call = await waitFor(() => toEngineer(id).call[0], 'the call', 15_000);
    const email = await waitFor(() => toEngineer(id).email[0], 'the email', 15_000);
    expect(call.receivedAt - sms.receivedAt).toBeGreaterThanOrEqual(1900);
    expect(email.receivedAt - sms.receivedAt).toBeGreaterThanOrEqual(3900);
    await sleep(1000);
    expect(Object.values(toEngineer(id)).map((sent) => sent.length)).toEqual([1, 1, 1]);
    const timeline = (await handle.query(stateQuery))!.timeline.map((e) => e.text);
    expect(timeline).toContainEqual(`${engineer.name}'s notification rules: voice call in 2s, email in 4s unless acknowledged`);
  });

  test('acknowledged after the SMS, the call and the email are never sent', async () => {
    const { handle, state } = await declareIncident(h.env, taskQueue, { policy: rulesPolicy, severity: 'P1', title: 'Search errors' });
    const id = state.incidentId;
    await waitFor(() => toEngineer(id).sms[0], 'the SMS');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
    await sleep(5000);
    expect(Object.values(toEngineer(id)).map((sent) => sent.length)).toEqual([1, 0, 0]);
  });

  test('within what the severity allows: a P3 (SMS only here) never calls or emails', async () => {
    const { state } = await declareIncident(h.env, taskQueue, { policy: rulesPolicy, severity: 'P3', title: 'Cert expiring soon' });
    const id = state.incidentId;
    await waitFor(() => toEngineer(id).sms[0], 'the SMS');
    await sleep(5000);
    expect(Object.values(toEngineer(id)).map((sent) => sent.length)).toEqual([1, 0, 0]);
  });
});
