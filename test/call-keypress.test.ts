/**
 * A page call takes a key: it says what broke and offers "press 1 to acknowledge, 2 to escalate"; the
 * key, posted by Twilio (signature checked), acknowledges or escalates as the person called, verified as
 * `voice-keypress`, through the same update every other acknowledgement takes.
 */
import twilio from 'twilio';
import { stateQuery } from '../contract';
import { TWILIO_TOKEN } from '../dev/twilio-standin';
import { TEST_IDENTITY_SECRET, declareIncident, testPolicy, useIncidentHarness, waitFor } from './helpers/harness';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const SECRET = 'keypress-ack-secret';
const PUBLIC = 'http://incidents.test';
const base = testPolicy();
// Calls for P1, and a minute before the plan escalates on its own.
const policy = testPolicy({
  severities: { ...base.severities, P1: { ...base.severities.P1, ackSla: '60s', channels: ['call', 'email'] } },
});
let http: TestWebhook;
const h = useIncidentHarness({
  name: 'keypress',
  policy,
  twilio: true,
  worker: { ackLinks: { secret: SECRET, publicUrl: PUBLIC, ttlSeconds: 3600 } },
  beforeTeardown: async () => http?.close(),
});
beforeAll(async () => {
  http = await startWebhook(h.env.client, h.taskQueue, policy, 5000, {
    ackSecret: SECRET,
    twilioAuthToken: TWILIO_TOKEN,
    publicUrl: PUBLIC,
    identitySecret: TEST_IDENTITY_SECRET,
  });
});

/** The page call's TwiML and where its keys go. */
async function pageCall(incidentId: string) {
  const call = await waitFor(
    () => h.twilio.requests.find((r) => r.kind === 'call' && (r.Twiml ?? '').includes(incidentId.replace('-', ' '))),
    'the page call',
  );
  const action = /<Gather[^>]* action="([^"]+)"/.exec(call.Twiml!)?.[1];
  return { twiml: call.Twiml!, action: action!, to: call.To };
}

/** Twilio posting the key pressed, signed for the URL as Twilio knows it. */
const press = (action: string, digits: string, sign = true) => {
  const params = { Digits: digits, CallSid: 'CA0123456789', From: '+15550100000', To: '+15550100001' };
  return fetch(action.replace(PUBLIC, http.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(sign ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, action, params) } : {}),
    },
    body: new URLSearchParams(params).toString(),
  }).then(async (r) => ({ status: r.status, body: await r.text() }));
};

test('a page call offers keys; 1 acknowledges as the person called (voice-keypress); an unsigned press changes nothing', async () => {
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P1', title: 'Payments failing' });
  const call = await pageCall(state.incidentId);
  expect(call.twiml).toContain('Press 1 to acknowledge. Press 2 to escalate.');
  expect(call.action).toMatch(new RegExp(`^${PUBLIC}/twilio/voice/keys/[^"/]+$`));
  const called = policy.contacts.find((c) => c.phone === call.to)!;
  // Twilio posts a key seconds after the call was placed, by when the page is on the incident's record.
  await waitFor(async () => (await handle.query(stateQuery))!.pagedContacts?.includes(called.id), 'the call on record');

  expect((await press(call.action, '1', false)).status).toBe(403);
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();
  // Another key: asked again.
  expect((await press(call.action, '7')).body).toContain('<Gather');

  const pressed = await press(call.action, '1');
  expect(pressed).toMatchObject({ status: 200, body: expect.stringContaining(`<Say>${state.incidentId} acknowledged by ${called.name}`) });
  expect((await handle.query(stateQuery))!).toMatchObject({
    status: 'acknowledged',
    acknowledgedBy: called.name,
    acknowledgedVia: 'voice-keypress',
  });
});

test('2 escalates to the next level as the person called', async () => {
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P1', title: 'Search failing' });
  const call = await pageCall(state.incidentId);
  const called = policy.contacts.find((c) => c.phone === call.to)!;
  const pressed = await press(call.action, '2');
  expect(pressed).toMatchObject({ status: 200, body: expect.stringContaining(`${state.incidentId} escalated by ${called.name}`) });
  const s = (await handle.query(stateQuery))!;
  expect(s.escalationLevel).toBe(1);
  const escalated = s.timeline.find((e) => e.kind === 'escalation' && e.actor === called.name)!;
  expect(escalated).toMatchObject({ via: 'voice-keypress', text: expect.stringContaining('key 2 pressed on the page call') });
  await waitFor(
    () => h.twilio.requests.find((r) => r.kind === 'call' && r.To === policy.contacts.find((c) => c.id === 'eng-lead')!.phone),
    'the lead called',
  );
});
