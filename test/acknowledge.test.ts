import twilio from 'twilio';
import { ackToken } from '../security/ack-links';
import type { WorkflowHandle } from '@temporalio/client';
import { ErrorType, INCIDENT_WORKFLOW_TYPE, acknowledgeUpdate, resolveUpdate, stateQuery } from '../contract';
import {
  declareIncident,
  TEST_IDENTITY_SECRET,
  openTestEnv,
  sleep,
  startTestWorker,
  testPolicy,
  uniqueQueue,
  waitFor,
  type RunningTestWorker,
  type TestEnv,
} from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { TWILIO_TOKEN } from '../dev/twilio-standin';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const SECRET = 'ack-link-test-secret';
let env: TestEnv;
let smtp: TestSmtp;
let worker: RunningTestWorker;
let http: TestWebhook;
const taskQueue = uniqueQueue('ack');
const policy = testPolicy();

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  // The server's URL is needed for links and signatures, so listen first and tell the app where it is.
  http = await startWebhook(env.client, taskQueue, policy, 5000, {
    ackSecret: SECRET,
    twilioAuthToken: TWILIO_TOKEN,
    publicUrl: 'http://incidents.test',
    identitySecret: TEST_IDENTITY_SECRET,
  });
  worker = await startTestWorker(env, {
    taskQueue,
    policy,
    smtpUrl: smtp.url,
    ackLinks: { secret: SECRET, publicUrl: http.url, ttlSeconds: 3600 },
  });
});
afterAll(async () => {
  await worker.stop();
  await http.close();
  await smtp.close();
  await env.close();
});

const get = async (url: string, method = 'GET') => {
  const response = await fetch(url, { method });
  return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
};
/** Opens the link and presses its Acknowledge button, as a person would. */
const press = async (url: string, confirm?: string) => {
  const opened = await get(url);
  const value = confirm ?? /name="confirm" value="([^"]+)"/.exec(opened.body)?.[1] ?? '';
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ confirm: value }).toString(),
  });
  return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
};

test('the signed link in an email page acknowledges as that contact; forged, expired and replayed links get 403', async () => {
  const { handle, state } = await declareIncident(env, taskQueue, { policy, severity: 'P1' });
  const page = await waitFor(
    () => smtp.mails.find((m) => m.subject.includes(`${state.incidentId}:`) && m.subject.includes('(page:')),
    'email page',
  );
  const link = /(http:\/\/127\.0\.0\.1:\d+\/ack\/[\w-]+\.[\w-]+)/.exec(page.text)?.[1];
  expect(link).toBeDefined();

  const forged = await get(`${link!.slice(0, -2)}xx`);
  expect(forged.status).toBe(403);
  const expired = await get(
    `${http.url}/ack/${ackToken(SECRET, { i: state.incidentId, c: 'engineer-a', e: Math.floor(Date.now() / 1000) - 10 })}`,
  );
  expect(expired).toMatchObject({ status: 403, body: expect.stringContaining('expired') });
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();

  // Link scanners and chat previews open every link: GET and HEAD show a button and change nothing.
  const opened = await get(link!);
  expect(opened.status).toBe(200);
  expect(opened.body).toContain(`Acknowledge ${state.incidentId}?`);
  expect(opened.body).toContain('<form method="post"');
  expect((await get(link!, 'HEAD')).status).toBe(200);
  await sleep(300);
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();
  // A button token not issued for this link is refused.
  expect((await press(link!, `${Date.now() + 60_000}.forged`)).status).toBe(403);
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();

  const pressed = await press(link!);
  expect(pressed.status).toBe(200);
  expect(pressed.body).toContain(`${state.incidentId} acknowledged by`);
  const acked = (await handle.query(stateQuery))!;
  expect(acked.acknowledgedBy).toMatch(/^Engineer [A-D]$/);
  // Verified by the signed link: the HTTP server proved it, the worker checked the proof.
  expect(acked.acknowledgedVia).toBe('ack-link');

  const replayed = await press(link!);
  expect(replayed.status).toBe(403);
  expect(replayed.body).toContain('already acknowledged');
  // Escalation stopped: the engineering lead (3s) is never paged.
  await sleep(3500);
  expect(smtp.mails.filter((m) => m.subject.includes(`${state.incidentId}:`) && m.to.includes('eng-lead@example.com'))).toHaveLength(0);
});

test('an SMS reply "ACK INC-N" signed by Twilio acknowledges as the sender; unsigned or unknown senders change nothing', async () => {
  const { handle, state } = await declareIncident(env, taskQueue, { policy, severity: 'P2' });
  // Replies find the incident through visibility, as they would seconds after the page.
  await waitFor(async () => (await env.client.workflow.count(`IncidentId = "${state.incidentId}"`)).count > 0, 'incident visible');
  const url = 'http://incidents.test/twilio/sms';
  // Only someone paged for the incident may acknowledge it by reply: the on-call engineer here.
  const page = await waitFor(
    () => smtp.mails.find((m) => m.subject.includes(`${state.incidentId}:`) && m.subject.includes('(page:')),
    'page',
  );
  const sender = policy.contacts.find((c) => page.to.includes(c.email))!;
  const post = (params: Record<string, string>, signature?: string) =>
    fetch(`${http.url}/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
      body: new URLSearchParams(params).toString(),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
  const params = { From: sender.phone!, To: '+15550109999', Body: `ack ${state.incidentId}`, MessageSid: 'SM123' };

  expect((await post(params)).status).toBe(403);
  expect((await post(params, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
  const stranger = { ...params, From: '+15559990000' };
  const refused = await post(stranger, twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, stranger));
  expect(refused).toMatchObject({ status: 200, body: expect.stringContaining('not on the incident response list') });
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();

  // A contact who was never paged for this incident cannot acknowledge it.
  const dba = { ...params, From: policy.contacts.find((c) => c.id === 'dba')!.phone! };
  const notPaged = await post(dba, twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, dba));
  expect(notPaged.body).toContain(`Database Admin was not paged for ${state.incidentId}`);
  // Twilio posts forms; JSON is refused before any parsing.
  const json = await fetch(`${http.url}/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params) },
    body: JSON.stringify(params),
  });
  expect(json.status).toBe(415);
  expect((await handle.query(stateQuery))!.acknowledgedBy).toBeUndefined();

  const accepted = await post(params, twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params));
  expect(accepted.status).toBe(200);
  expect(accepted.body).toContain(`<Response><Message>${state.incidentId} acknowledged by ${sender.name}`);
  expect((await handle.query(stateQuery))!).toMatchObject({ acknowledgedBy: sender.name, acknowledgedVia: 'sms' });
});

test("an old incident's link cannot acknowledge the next incident of the same alert group", async () => {
  // Every incident of an Alertmanager group runs under the group's workflow id, one run after another.
  const workflowId = `incident-group-${Date.now()}`;
  const start = () =>
    env.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ title: 'Group fires', severity: 'P1', service: 'api', source: 'alertmanager', declaredBy: 'alertmanager', policy }],
    });
  const registered = (h: WorkflowHandle) => waitFor(async () => (await h.query(stateQuery))?.incidentId || undefined, 'registration');
  const first = await start();
  const oldId = await registered(first);
  const oldLink = `${http.url}/ack/${ackToken(SECRET, { i: oldId, c: 'engineer-a', e: Math.floor(Date.now() / 1000) + 600, w: workflowId })}`;
  await first.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'x', resolution: 'y' }] });
  await first.result();
  const second = await start();
  const newId = await registered(second);
  expect(newId).not.toBe(oldId);

  const opened = await press(oldLink);
  expect(opened.status).toBe(403);
  expect(opened.body).toContain(`${oldId} is already resolved; nothing was acknowledged`);
  expect(opened.headers['cache-control']).toBe('no-store');
  expect((await second.query(stateQuery))!.acknowledgedBy).toBeUndefined();
  // Even if a lookup were stale, the workflow itself refuses an acknowledgement meant for another incident.
  await expect(second.executeUpdate(acknowledgeUpdate, { args: [{ by: 'x', incidentId: oldId }] })).rejects.toMatchObject({
    cause: {
      type: ErrorType.InvalidTransition,
      message: expect.stringContaining(`${oldId} is already resolved; nothing was acknowledged`),
    },
  });
  await second.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'x', resolution: 'y' }] });
});
