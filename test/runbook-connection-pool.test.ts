import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ExitCode } from '../client/failures';
import { STORE_APPLICATION_NAME } from '../workers/run';
import { ErrorType, advancePhaseUpdate, resolveUpdate, reviewStateQuery, reviewWorkflowId, stateQuery } from '../contract';
import { runCli } from './helpers/cli';
import { startTestApi } from './helpers/api';
import {
  declareIncident,
  openTestEnv,
  sleep,
  startTestWorker,
  uniqueQueue,
  waitFor,
  type RunningTestWorker,
  type TestEnv,
} from './helpers/harness';
import { findRunbook, runbookPolicy, runbookState, scratchDatabase, startRunbookHost, uniqueHost, waitForStep } from './helpers/runbooks';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';

// The plan's scenario 1 end to end: diagnostics on their own, approval, then exactly the idle sessions end.
const host = uniqueHost('db');
const taskQueue = uniqueQueue('runbook-pool');
const suffix = randomUUID().slice(0, 8);
const scratchDb = `runbook_scratch_${suffix}`;
const appRole = `runbook_app_${suffix}`;
// Runbook steps connect with roles made for them: diagnostics read, containment may only signal.
const readerRole = `runbook_reader_${suffix}`;
const operatorRole = `runbook_operator_${suffix}`;
const APP_PASSWORD = `pw-${suffix}`;
const def = findRunbook('db-connection-pool');
def.params = def.params.map((p) => (p.name === 'idle_seconds' ? { ...p, default: '1' } : p));
const policy = runbookPolicy({ host, definitions: [def] });

let env: TestEnv;
let smtp: TestSmtp;
let worker: RunningTestWorker;
let hostWorker: { stop(): Promise<void> };
let admin: Client;
const clients: Client[] = [];

const dbUrl = (database: string, user?: string) => scratchDatabase(database, APP_PASSWORD)(user);

async function connect(url: string, applicationName?: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  // A terminated session reports an error on its client; that is the point of the test.
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

const pidsOf = async (where: string, values: unknown[]) =>
  (
    await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND ${where} ORDER BY pid`, [
      scratchDb,
      ...values,
    ])
  ).rows.map((r) => r.pid);

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  admin = new Client({
    connectionString: dbUrl(new URL(process.env.TEST_DB_URL!).pathname.slice(1)),
    application_name: 'incident-orchestrator-test-admin',
  });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratchDb}`);
  await admin.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${APP_PASSWORD}'`);
  await admin.query(`CREATE ROLE ${readerRole} LOGIN PASSWORD '${APP_PASSWORD}' IN ROLE pg_monitor`);
  await admin.query(`CREATE ROLE ${operatorRole} LOGIN PASSWORD '${APP_PASSWORD}' IN ROLE pg_monitor, pg_signal_backend`);
  worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  hostWorker = await startRunbookHost(env, {
    host,
    policy,
    databases: { app: { query: dbUrl(scratchDb, readerRole), terminate: dbUrl(scratchDb, operatorRole) } },
  });
});

afterAll(async () => {
  await hostWorker?.stop();
  await worker?.stop();
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`).catch(() => undefined);
  for (const role of [appRole, readerRole, operatorRole]) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await admin.end();
  await smtp.close();
  await env.close();
});

test('connection pool exhausted: diagnostics, approval, and only the idle app sessions end', async () => {
  // The application's 20 idle sessions, one busy one, and the orchestrator's store sharing the database.
  const idle = await Promise.all(Array.from({ length: 20 }, () => connect(dbUrl(scratchDb, appRole), 'app-api')));
  const busy = await connect(dbUrl(scratchDb, appRole), 'app-worker');
  const busyPid = (await busy.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const busyQuery = busy.query('SELECT pg_sleep(60)').catch(() => undefined);
  await Promise.all(Array.from({ length: 3 }, () => connect(dbUrl(scratchDb), STORE_APPLICATION_NAME)));
  const appIdlePids = await pidsOf('usename = $2 AND application_name = $3', [appRole, 'app-api']);
  const storePids = await pidsOf('application_name = $2', [STORE_APPLICATION_NAME]);
  expect(appIdlePids).toHaveLength(20);
  expect(storePids).toHaveLength(3);
  expect(idle).toHaveLength(20);
  // Idle for longer than the runbook's threshold (1 s here, 10 minutes in the shipped policy).
  await sleep(1500);

  const { handle, state } = await declareIncident(env, taskQueue, {
    policy,
    severity: 'P1',
    commander: 'ic',
    title: 'Too many connections',
    service: 'api',
    source: 'alertmanager',
    alerts: [
      {
        fingerprint: `fp-${suffix}`,
        name: 'PostgresTooManyConnections',
        status: 'firing',
        labels: { alertname: 'PostgresTooManyConnections' },
      },
    ],
  });
  const id = state.incidentId;
  const cliEnv = { TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue };

  // Diagnostics run on their own, at detection.
  const listed = await waitForStep(env, handle, 'db-connection-pool/idle-sessions', ['succeeded', 'failed']);
  expect(listed.status).toBe('succeeded');
  await waitForStep(env, handle, 'db-connection-pool/connections-by-state', ['succeeded']);
  const shown = await runCli(cliEnv, 'show', id, '--evidence');
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('db-connection-pool/connections-by-state');
  expect(shown.stdout).toMatch(new RegExp(`idle\\t${appRole}\\tapp-api\\t20`));
  for (const pid of appIdlePids) expect(shown.stdout).toContain(`${pid}\t${appRole}`);

  // The terminate step belongs to containment, and waits for a person.
  const dry = await runCli(cliEnv, 'approve', id, 'db-connection-pool/terminate-idle', '--dry-run');
  expect(dry.stdout).toContain('terminate the sessions selected by: SELECT pid FROM pg_stat_activity');
  await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  const waiting = await waitForStep(env, handle, 'db-connection-pool/terminate-idle', ['awaiting-approval']);
  expect(waiting.approvalDeadline).toBeDefined();
  const page = await waitFor(() => smtp.mails.find((m) => m.subject.includes('Approval needed')), 'the approval page');
  expect(page.to).toContain('ic@example.com');
  expect(page.text).toContain(`incidentctl approve ${id} db-connection-pool/terminate-idle`);
  // Nothing ended before the approval.
  expect(await pidsOf('usename = $2 AND state = $3', [appRole, 'idle'])).toEqual(appIdlePids);

  const denied = await runCli(cliEnv, 'approve', id, 'db-connection-pool/terminate-idle', '--as', 'mallory', '--json');
  expect(denied.code).toBe(ExitCode.Rejected);
  expect(JSON.parse(denied.stderr)).toMatchObject({ type: ErrorType.InvalidTransition });
  expect(denied.stderr).toContain('mallory may not approve');

  // Through the API as the verified commander: the host checks the signed approval itself.
  const api = await startTestApi(env, taskQueue, policy);
  const approved = await runCli(await api.as('ic'), 'approve', id, 'terminate-idle').finally(() => api.close());
  expect(approved).toMatchObject({ code: 0 });
  const done = await waitForStep(env, handle, 'db-connection-pool/terminate-idle', ['succeeded', 'failed']);
  expect(done.status).toBe('succeeded');
  expect([...done.outcome!.terminated!].sort((a, b) => a - b)).toEqual(appIdlePids);
  await waitFor(async () => (await pidsOf('usename = $2', [appRole])).length === 1, 'the idle sessions to end');
  expect(await pidsOf('usename = $2', [appRole])).toEqual([busyPid]);
  // The orchestrator's own store sessions were spared (other suites open and close theirs meanwhile).
  for (const pid of storePids) expect(done.outcome!.terminated).not.toContain(pid);
  // The real store kept working throughout: the incident's row is there, read through the store's own pool.
  const { rows } = await env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents WHERE number = $1', [state.number]);
  expect(rows).toEqual([{ n: 1 }]);

  const evidence = await runCli(cliEnv, 'show', id, '--evidence');
  expect(evidence.stdout).toContain('approved by ic');
  expect(evidence.stdout).toContain(`selected 23 sessions; spared 3; terminated 20`);
  const timeline = (await handle.query(stateQuery))!.timeline.map((e) => `${e.kind} ${e.actor} ${e.text}`);
  expect(timeline).toContainEqual(expect.stringMatching(/^runbook ic Approved db-connection-pool\/terminate-idle/));
  expect(timeline).toContainEqual(
    expect.stringMatching(/^runbook runbook db-connection-pool\/terminate-idle exited 0 .* ended 20 sessions/),
  );
  const after = await runbookState(env, handle);
  expect(after.steps.find((s) => s.plan.step === 'connections-after')?.status).toMatch(/running|succeeded/);
  await admin.query('SELECT pg_cancel_backend($1)', [busyPid]);

  // The runbook's long-term fixes are in the post-mortem draft once the incident resolves.
  await handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'leaked connections', resolution: 'idle sessions ended' }] });
  const review = env.client.workflow.getHandle(reviewWorkflowId(id));
  const draft = await waitFor(async () => (await review.query(reviewStateQuery).catch(() => undefined))?.draft, 'the post-mortem draft');
  for (const fix of ['Increase the connection pool size in .env', 'Implement connection retry logic', 'Add connection monitoring'])
    expect(draft).toContain(`${fix} (runbook db-connection-pool)`);
  const items = await env.reviews.actionItems(state.number);
  expect(items.map((i) => i.owner)).toEqual(['ic', 'ic', 'ic']);
  await busyQuery;
});
