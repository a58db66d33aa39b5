/**
 * Someone who reaches Temporal without the payload key: every payload is sealed (AES-256-GCM), so
 * they can neither read an incident nor start or answer for one. Operators who hold the codec token
 * read incidents through the codec endpoint (the Temporal Web UI and CLI use it).
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { EncryptionCodec, newPayloadKeyLine, parsePayloadKeys } from '../security/payload-codec';
import { ErrorType, INCIDENT_WORKFLOW_TYPE, resolveUpdate, stateQuery } from '../contract';
import { declareIncident, sleep, startTestWorker, useIncidentHarness, waitFor } from './helpers/harness';
import { spawnWorkerProcess } from './helpers/worker-process';
import { ensureDigestSchedule } from '../workers/digest-schedule';
import { signProof } from '../security/identity';
import { startWebhook, type TestWebhook } from './helpers/webhook';
import { runCli } from './helpers/cli';

const h = useIncidentHarness({ name: 'temporal-access' });
const CODEC_TOKEN = `codec-${randomUUID()}`;
let web: TestWebhook;
let stranger: Client;
let otherKey: Client;

beforeAll(async () => {
  const codec = new EncryptionCodec(parsePayloadKeys(process.env.PAYLOAD_KEYS!));
  web = await startWebhook(h.env.client, h.taskQueue, h.policy, 5000, undefined, {
    codec: { codec, token: CODEC_TOKEN, uiOrigins: ['http://127.0.0.1:8233'] },
  });
  // The same server, without our key; and with a key of its own.
  stranger = new Client({ connection: h.env.client.connection });
  otherKey = new Client({
    connection: h.env.client.connection,
    dataConverter: { payloadCodecs: [new EncryptionCodec(parsePayloadKeys(newPayloadKeyLine('other')))] },
  });
});
afterAll(async () => {
  await web?.close();
});

const eventsOf = async (handle: WorkflowHandle) => (await handle.fetchHistory()).events ?? [];
const startedInput = async (handle: WorkflowHandle) =>
  (await eventsOf(handle))[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;

test('an incident history holds no readable payload; a client without the key cannot read its state', async () => {
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy: h.policy, title: 'Secret customer outage' });
  const raw = Buffer.from(temporal.api.history.v1.History.encode({ events: await eventsOf(handle) }).finish()).toString('latin1');
  // Contacts, their phones and the policy travel in the input; all sealed. (Search attributes, such as the
  // title, are not payloads: they stay readable, see docs/security.md.)
  expect(raw).not.toContain('ic@example.com');
  expect(raw).not.toContain('+15550100001');
  expect(raw).not.toContain('escalation');
  expect(raw).toContain('binary/encrypted');

  const asStranger = stranger.workflow.getHandle(handle.workflowId);
  await expect(asStranger.query(stateQuery)).rejects.toThrow(/encoding|binary\/encrypted/i);
  await expect(otherKey.workflow.getHandle(handle.workflowId).query(stateQuery)).rejects.toThrow(ValueError);
  // The holders of the key read it as always.
  expect((await handle.query(stateQuery))?.incidentId).toBe(state.incidentId);
});

test.each([
  ['without the key', () => stranger],
  ['with another key', () => otherKey],
])('an incident started %s runs nothing: its first workflow task fails to decode, no incident opens', async (_how, client) => {
  const workflowId = `incident-forged-${randomUUID()}`;
  const handle = await client().workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: h.taskQueue,
    args: [{ title: 'forged', severity: 'P1', service: 'api', source: 'manual', declaredBy: 'mallory' }],
    memo: { title: `forged ${workflowId}` },
  });
  const failed = await waitFor(async () => {
    const events = await eventsOf(handle);
    return events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
  }, 'the workflow task to fail');
  expect(failed.failure?.message).toMatch(/refused a payload/);
  await sleep(1000);
  const { rows } = await h.env.pool.query('SELECT 1 FROM incidents WHERE workflow_id = $1', [workflowId]);
  expect(rows).toHaveLength(0);
  expect((await eventsOf(handle)).some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  // Its memo does not open with our key: lists leave it out instead of failing.
  const listed = await runCli({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue }, 'list', '--all');
  expect(listed).toMatchObject({ code: 0 });
  expect(listed.stdout).not.toContain(workflowId);
  await h.env.client.workflow.getHandle(workflowId).terminate('test: forged start');
});

test('the codec endpoint opens payloads for a holder of the codec token only', async () => {
  const { handle } = await declareIncident(h.env, h.taskQueue, { policy: h.policy, title: 'Codec view' });
  const payload = await startedInput(handle);
  const body = JSON.stringify({
    payloads: [
      {
        metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(payload.data!).toString('base64'),
      },
    ],
  });
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${web.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  expect((await post('/codec/decode')).status).toBe(401);
  expect((await post('/codec/decode', { authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await post('/codec/not-the-token/decode')).status).toBe(401);
  for (const answer of [
    await post('/codec/decode', { authorization: `Bearer ${CODEC_TOKEN}` }),
    await post(`/codec/${CODEC_TOKEN}/decode`),
  ]) {
    expect(answer.status).toBe(200);
    const decoded = (await answer.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toMatchObject({ title: 'Codec view', severity: 'P1' });
  }
  // The Web UI's preflight from its own origin is allowed; from elsewhere it is not.
  const preflight = (origin: string) =>
    fetch(`${web.url}/codec/${CODEC_TOKEN}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
  expect((await preflight('http://127.0.0.1:8233')).headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
});

test("the dev server's HTTP API refuses every request, so a web page cannot post to it cross-origin", async () => {
  const port = process.env.TEST_TEMPORAL_HTTP_PORT!;
  // What a page in the local user's browser can send without a preflight: a text/plain POST.
  const forged = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/workflows/incident-x/terminate`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: '{"reason":"from a web page"}',
  });
  expect(forged.status).toBe(403);
  expect(await forged.text()).toContain('Host not allowed');
  const listing = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/workflows`);
  expect(listing.status).toBe(403);
});

test('a rogue worker on the incident queue, without our key, answers for nobody; once it is gone the incident goes on', async () => {
  // Our own worker program polling our queue, with a payload key and an identity secret of its own:
  // were it to run the incident, it would vouch for any proof signed with its secret.
  const ROGUE_SECRET = 'rogue-identity-secret';
  // Ours steps away, so every task of the incident goes to the rogue while it polls.
  await h.worker.stop();
  const rogue = await spawnWorkerProcess({
    TEMPORAL_ADDRESS: h.env.address,
    TASK_QUEUE: h.taskQueue,
    DATABASE_URL: process.env.TEST_DB_URL!,
    PAYLOAD_KEYS: newPayloadKeyLine('rogue'),
    IDENTITY_SECRET: ROGUE_SECRET,
    WORKER_RUNBOOK_STEPS: 'off',
  });
  const workflowId = `incident-rogue-${randomUUID()}`;
  const handle = await h.env.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: h.taskQueue,
    args: [{ title: 'Rogue test', severity: 'P1', service: 'api', source: 'manual', declaredBy: 'tester', policy: h.policy }],
  });
  const args = { by: 'cto', rootCause: 'x', resolution: 'y' };
  const forged = (incidentId: string) =>
    signProof(ROGUE_SECRET, { person: 'cto', via: 'token', action: 'resolve', workflowId, incidentId, args });
  const resolveWith = (incidentId: string) =>
    h.env.client.withAbortSignal(AbortSignal.timeout(10_000), () =>
      handle.executeUpdate(resolveUpdate, { args: [{ ...args, proof: forged(incidentId) }] }),
    );
  try {
    // The rogue takes the tasks and cannot open them (a denial of service Temporal's own authorization
    // must keep out), so it never acts: the resolve is never answered.
    await waitFor(() => /refused a payload/.test(rogue.output()), 'the rogue to take a task', 30_000);
    await expect(resolveWith('INC-0')).rejects.toThrow();
  } finally {
    await rogue.kill('SIGKILL');
    h.worker = await startTestWorker(h.env, { taskQueue: h.taskQueue, policy: h.policy, smtpUrl: h.smtp.url });
  }
  expect(rogue.output()).toMatch(/refused a payload/);
  // Gone: our worker runs the incident on, its history intact (no task of the rogue's poisoned it).
  const state = await waitFor(
    async () => {
      const s = await handle.query(stateQuery).catch(() => undefined);
      return s?.incidentId ? s : undefined;
    },
    'our worker to run the incident',
    60_000,
  );
  expect(state).toMatchObject({ status: expect.not.stringMatching(/resolved/) });
  // Our worker checks the rogue's proof with our secret: refused.
  const refused = await resolveWith(state.incidentId).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({
    type: ErrorType.IdentityRejected,
    message: expect.stringContaining('invalid signature'),
  });
  expect((await handle.query(stateQuery))!.resolvedBy).toBeUndefined();
  await handle.terminate('test: done');
});

test('a schedule sealed with a key this worker does not hold (rotated out, or not ours) is made again with ours', async () => {
  const scheduleId = `digest-foreign-${randomUUID()}`;
  await ensureDigestSchedule(otherKey, h.taskQueue, '0 9 * * 1', scheduleId);
  await expect(h.env.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow(/refused a payload/);
  try {
    expect(await ensureDigestSchedule(h.env.client, h.taskQueue, '0 9 * * 1', scheduleId)).toBe('replaced');
    expect((await h.env.client.schedule.getHandle(scheduleId).describe()).action).toMatchObject({ workflowType: 'digestWorkflow' });
  } finally {
    await h.env.client.schedule.getHandle(scheduleId).delete();
  }
});
