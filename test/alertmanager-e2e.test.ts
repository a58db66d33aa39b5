import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createSmtpMailer } from '../adapters/mailer';
import { createIncidentWorker } from '../workers/create-worker';
import { freePort, resolveTemporalCli, startDevServer, type DevServer } from '../dev/temporal-cli';
import { searchAttributes, stateQuery, type IncidentState } from '../contract';
import { groupPayload } from './helpers/alerts';
import { ALERTMANAGER_BIN, startAlertmanager, type RunningAlertmanager } from './helpers/alertmanager';
import { openTestEnv, testPolicy, uniqueQueue, waitFor, workflowBundle, type TestEnv } from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { METRICS_TOKEN, WEBHOOK_TOKEN, startWebhook, type TestWebhook } from './helpers/webhook';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

// This suite stops and restarts Temporal, so it runs its own dev server (same binary, SQLite file).
let env: TestEnv;
let smtp: TestSmtp;
let server: DevServer;
let serverOptions: Parameters<typeof startDevServer>[0];
let connection: Connection;
let client: Client;
let webhook: TestWebhook;
let am: RunningAlertmanager;
let worker: { worker: Worker; native: NativeConnection; running: Promise<void> } | undefined;
const taskQueue = uniqueQueue('alertmanager');
const policy = testPolicy();
const run = taskQueue.slice(-8);

async function startWorker() {
  const native = await NativeConnection.connect({ address: server.address });
  const w = await createIncidentWorker({
    dataConverter: ephemeralDataConverter(),
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: workflowBundle(),
    deps: { store: env.store, reviews: env.reviews, mailer: createSmtpMailer(smtp.url, 'am@test.local'), policy },
  });
  worker = { worker: w, native, running: w.run() };
}
const postRaw = (payload: object) =>
  fetch(`${webhook.url}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(payload),
  });

async function stopWorker() {
  if (!worker) return;
  worker.worker.shutdown();
  await worker.running;
  await worker.native.close();
  worker = undefined;
}

beforeAll(async () => {
  if (!existsSync(ALERTMANAGER_BIN))
    throw new Error(`${ALERTMANAGER_BIN} is missing: apt-get install prometheus-alertmanager (.ci/run does)`);
  env = await openTestEnv();
  smtp = await startSmtp();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'am-temporal-'));
  serverOptions = { cliPath: await resolveTemporalCli(), port: await freePort(), dbFile: path.join(dir, 'temporal.sqlite') };
  server = await startDevServer(serverOptions);
  connection = Connection.lazy({ address: server.address });
  client = new Client({ connection, dataConverter: ephemeralDataConverter() });
  await startWorker();
  webhook = await startWebhook(client, taskQueue, policy, 1500);
  am = await startAlertmanager(`${webhook.url}/alertmanager`, WEBHOOK_TOKEN);
});
afterAll(async () => {
  await am?.stop();
  await webhook?.close();
  await stopWorker();
  // Calls that outlived their request's deadline keep retrying: give them a server to finish against
  // (a failed test may have left it stopped) before the channel closes under their retry timers.
  if (server && (server.process.exitCode !== null || server.process.signalCode !== null)) server = await startDevServer(serverOptions);
  // The client's gRPC retry waits up to 5 s (+20% jitter) between attempts, and a retry timer set while
  // Temporal was down fires even after its call was aborted: closing the channel before it would make
  // that timer throw "Channel has been shut down" into the suite.
  await new Promise((r) => setTimeout(r, 6500));
  await connection?.close();
  await server?.stop();
  await smtp?.close();
  await env?.close();
});

async function incidentsFor(service: string): Promise<{ workflowId: string; runId: string }[]> {
  const found = [];
  for await (const w of client.workflow.list({ query: `${searchAttributes.service.name} = "${service}"` }))
    found.push({ workflowId: w.workflowId, runId: w.runId });
  return found;
}
const stateOf = async (workflowId: string) => (await client.workflow.getHandle(workflowId).query(stateQuery)) as IncidentState;
const past = () => new Date(Date.now() - 1000).toISOString();

test('alerts pushed through the real Alertmanager start, join and clear one incident', async () => {
  const service = `db-${run}`;
  const alert = (instance: string, endsAt?: string) => ({
    labels: { alertname: `DatabaseDown${run}`, severity: 'critical', service, instance },
    annotations: { summary: 'Database unreachable' },
    ...(endsAt ? { endsAt } : {}),
  });
  await am.push([alert('db-1')]);
  const [incident] = await waitFor(async () => {
    const found = await incidentsFor(service);
    return found.length ? found : undefined;
  }, 'incident from Alertmanager');
  const opened = await waitFor(async () => {
    const s = await stateOf(incident!.workflowId);
    return s.incidentId && s.alerts.length === 1 ? s : undefined;
  }, 'registered incident');
  expect(opened).toMatchObject({ severity: 'P1', source: 'alertmanager', title: 'Database unreachable', service });
  await waitFor(
    () => smtp.mails.find((m) => m.subject.includes(`${opened.incidentId}: Database unreachable (page:`)),
    'page for the alert',
  );

  await am.push([alert('db-2')]);
  const joined = await waitFor(async () => {
    const s = await stateOf(incident!.workflowId);
    return s.alerts.length === 2 ? s : undefined;
  }, 'second alert joins');
  expect(joined.incidentId).toBe(opened.incidentId);
  expect(await incidentsFor(service)).toHaveLength(1);

  await am.push([alert('db-1', past()), alert('db-2', past())]);
  const cleared = await waitFor(
    async () => {
      const s = await stateOf(incident!.workflowId);
      return s.timeline.some((e) => e.text.startsWith('Alerts cleared')) ? s : undefined;
    },
    'alerts cleared',
    30_000,
  );
  expect(cleared.status).toBe('open');
  expect(await incidentsFor(service)).toHaveLength(1);
});

test('while Temporal is down the webhook answers 503, Alertmanager retries, and the alert arrives once Temporal is back', async () => {
  const service = `cache-${run}`;
  await stopWorker();
  await server.stop();

  await am.push([
    {
      labels: { alertname: `RedisMemoryFull${run}`, severity: 'warning', service, instance: 'redis-1' },
      annotations: { summary: 'Redis memory full' },
    },
  ]);
  const metrics = async () =>
    (await fetch(`${webhook.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text())).match(
      /webhook_requests_total\{route="\/alertmanager",status="503"\} (\d+)/,
    )?.[1];
  await waitFor(async () => Number((await metrics()) ?? 0) >= 1, 'a 503 while Temporal is down', 30_000);
  // While it is down, answers come at once: no request waits out a deadline, and /readyz says so within a second.
  const probeGroup = groupPayload(`outage-probe-${run}`, { p1: 'firing' });
  for (const path of ['/readyz', '/alertmanager']) {
    const t = Date.now();
    const answer = path === '/readyz' ? await fetch(`${webhook.url}${path}`) : await postRaw(probeGroup);
    expect([path, answer.status]).toEqual([path, 503]);
    // Not a 5-second attempt per request as before (bounds are generous: this machine is noisy).
    expect(Date.now() - t).toBeLessThan(2500);
  }

  server = await startDevServer(serverOptions);
  // Back: the webhook accepts again soon after the server does, not after a backlog of slow attempts.
  const back = Date.now();
  await waitFor(async () => (await postRaw(probeGroup)).status === 200, 'the webhook to accept again', 10_000);
  expect(Date.now() - back).toBeLessThan(5000);
  const [incident] = await waitFor(
    async () => {
      const found = await incidentsFor(service).catch(() => []);
      return found.length ? found : undefined;
    },
    'incident after Temporal returns',
    60_000,
  );
  await startWorker();
  const state = await waitFor(
    async () => {
      const s = await stateOf(incident!.workflowId);
      return s.incidentId ? s : undefined;
    },
    'incident registered once a worker runs',
    30_000,
  );
  expect(state).toMatchObject({ severity: 'P3', service, title: 'Redis memory full' });
  expect(state.alerts).toHaveLength(1);
  expect(await incidentsFor(service)).toHaveLength(1);
});
