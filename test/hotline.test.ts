/**
 * The Emergency Hotline: Twilio posts the call (signature checked at every step); the caller hears the
 * greeting, presses a key for severity, an incident opens with their number, and they are put through
 * to the on-call of the number's service; when nobody answers, their voicemail is linked on the timeline.
 */
import twilio from 'twilio';
import { stateQuery } from '../contract';
import { TWILIO_TOKEN } from '../dev/twilio-standin';
import { hotlineWorkflowId } from '../server/hotline';
import { OnCallStore } from '../store/oncall-store';
import { onCallAt } from '../policy/oncall';
import { TEST_IDENTITY_SECRET, testPolicy, useIncidentHarness, waitFor } from './helpers/harness';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const PUBLIC = 'http://incidents.test';
const HOTLINE = '+15550109000';
const policy = testPolicy({ hotline: { numbers: [{ number: HOTLINE, service: 'api', greeting: 'Incident hotline.' }] } });
let http: TestWebhook;
const h = useIncidentHarness({ name: 'hotline', policy, isolatedStore: true, beforeTeardown: async () => http?.close() });
beforeAll(async () => {
  http = await startWebhook(
    h.env.client,
    h.taskQueue,
    policy,
    5000,
    { twilioAuthToken: TWILIO_TOKEN, publicUrl: PUBLIC, identitySecret: TEST_IDENTITY_SECRET },
    { hotline: { oncall: new OnCallStore(h.env.pool) } },
  );
});

/** Twilio posting a step of the call, signed for the URL as Twilio knows it. */
const twilioPosts = async (path: string, params: Record<string, string>, sign = true) => {
  const response = await fetch(`${http.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(sign ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${PUBLIC}${path}`, params) } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.text() };
};

test('a caller presses 2, an incident opens with their number, and they are put through to the on-call; no answer, and the voicemail is on the timeline', async () => {
  const call = { CallSid: `CA${Date.now()}`, From: '+15550123456', To: HOTLINE };
  expect((await twilioPosts('/twilio/voice/hotline', call, false)).status).toBe(403);
  const greeting = await twilioPosts('/twilio/voice/hotline', call);
  expect(greeting.body).toContain('<Say>Incident hotline.</Say><Gather numDigits="1"');
  expect(greeting.body).toContain(`action="${PUBLIC}/twilio/voice/hotline/severity"`);

  const put = await twilioPosts('/twilio/voice/hotline/severity', { ...call, Digits: '2' });
  const onCall = policy.contacts.find((c) => c.id === onCallAt(policy, Date.now()).now.contactId)!;
  expect(put.body).toMatch(/<Say>Your call is incident INC \d+, severity P 1\. Connecting you to the engineer on call\.<\/Say><Dial /);
  expect(put.body).toContain(`<Number>${onCall.phone}</Number>`);
  const workflowId = hotlineWorkflowId(call.CallSid);
  const opened = (await h.env.client.workflow.getHandle(workflowId).query(stateQuery))!;
  expect(opened).toMatchObject({
    severity: 'P1',
    service: 'api',
    source: 'phone',
    declaredBy: 'phone +15550123456',
    title: 'Hotline call from +15550123456',
  });
  // Twilio retrying the step changes nothing: the same call is the same incident.
  await twilioPosts('/twilio/voice/hotline/severity', { ...call, Digits: '2' });
  expect((await h.env.client.workflow.getHandle(workflowId).query(stateQuery))!.alerts).toHaveLength(1);

  const dialed = await twilioPosts(`/twilio/voice/hotline/dialed/${workflowId}`, { ...call, DialCallStatus: 'no-answer' });
  expect(dialed.body).toContain(
    `<Record maxLength="120" playBeep="true" method="POST" action="${PUBLIC}/twilio/voice/hotline/recorded/${workflowId}"/>`,
  );
  const recording = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123';
  expect(
    (await twilioPosts(`/twilio/voice/hotline/recorded/${workflowId}`, { ...call, RecordingUrl: recording, RecordingDuration: '14' })).body,
  ).toContain('Thank you.');
  const timeline = await waitFor(async () => {
    const s = (await h.env.client.workflow.getHandle(workflowId).query(stateQuery))!;
    return s.timeline.some((e) => e.text.startsWith('Voicemail')) ? s.timeline.map((e) => `${e.actor}: ${e.text}`) : undefined;
  }, 'the voicemail on the timeline');
  expect(timeline).toContainEqual('phone +15550123456: Call from +15550123456 to the hotline +15550109000: key 2, P1');
  expect(timeline).toContainEqual('phone +15550123456: The engineer on call did not answer the hotline call (no-answer): voicemail');
  expect(timeline).toContainEqual(`phone +15550123456: Voicemail from +15550123456 (14 s): ${recording}`);
});

test('a number not in the policy is not in service; a forged step is refused', async () => {
  const call = { CallSid: 'CAother', From: '+15550123456', To: '+15550100999' };
  expect((await twilioPosts('/twilio/voice/hotline', call)).body).toContain('This number is not in service.');
  expect(
    (await twilioPosts('/twilio/voice/hotline/recorded/hotline-x', { ...call, RecordingUrl: 'https://evil.example' }, false)).status,
  ).toBe(403);
});
