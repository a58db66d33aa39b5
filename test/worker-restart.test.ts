import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acknowledgeUpdate, stateQuery } from '../contract';
import { declareIncident, openTestEnv, sleep, testPolicy, uniqueQueue, waitFor, type TestEnv } from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, startTwilioStandin, type TwilioStandin } from '../dev/twilio-standin';
import { spawnWorkerProcess, type WorkerProcess } from './helpers/worker-process';

let env: TestEnv;
let smtp: TestSmtp;
let worker: WorkerProcess | undefined;
let twilio: TwilioStandin;
beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  twilio = await startTwilioStandin();
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await twilio.close();
  await smtp.close();
  await env.close();
});

test('a worker killed mid-incident and restarted continues escalating, and duplicates no page', async () => {
  // P1: on-call at 0s, engineering lead at 8s, CTO at 11s, then one repeat of the path 4s later.
  const base = testPolicy();
  const policy = testPolicy({
    severities: { ...base.severities, P1: { ...base.severities.P1, ackSla: '8s', channels: ['sms', 'email'] } },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'incident-policy-'));
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const taskQueue = uniqueQueue('restart');
  const workerEnv = {
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: taskQueue,
    DATABASE_URL: process.env.TEST_DB_URL!,
    SMTP_URL: smtp.url,
    POLICY_FILE: policyFile,
    // The real twilio client in the worker process, pointed at the stand-in.
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM,
    TWILIO_API_BASE_URL: twilio.url,
  };

  worker = await spawnWorkerProcess(workerEnv);
  // No policy in the input: the incident snapshots the worker's policy file.
  const { handle, state } = await declareIncident(env, taskQueue, { policy: undefined as never });
  const id = state.incidentId;
  const mailsOf = () => smtp.mails.filter((m) => m.subject.includes(`${id}`));
  await waitFor(() => mailsOf().some((m) => m.to[0]!.startsWith('engineer-')), 'on-call page');
  await sleep(1000);

  await worker.kill('SIGKILL');
  const killedAt = Date.now();
  // The engineering lead's deadline passes while no worker is alive.
  await sleep(Math.max(0, Date.parse(state.declaredAt) + 9000 - Date.now()));
  expect(mailsOf().filter((m) => m.to.includes('eng-lead@example.com') && m.subject.includes('(page:'))).toHaveLength(0);

  worker = await spawnWorkerProcess(workerEnv);
  const lead = await waitFor(
    () => mailsOf().find((m) => m.to.includes('eng-lead@example.com') && m.subject.includes('(page:')),
    'engineering lead page after restart',
    40_000,
  );
  expect(lead.receivedAt).toBeGreaterThan(killedAt);
  await waitFor(() => mailsOf().find((m) => m.to.includes('cto@example.com') && m.subject.includes('(page:')), 'CTO page', 40_000);
  // The repeat cycle pages everyone again; then acknowledge and stop.
  await waitFor(async () => ((await handle.query(stateQuery))?.escalationCycle ?? 0) >= 1, 'repeat cycle', 40_000);
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
  await sleep(1500);

  // Each ledger key reached the SMTP server exactly once.
  const keys = mailsOf().map((m) => String(m.headers.get('x-incident-dedup-key')));
  expect(keys.length).toBeGreaterThan(5);
  expect(new Set(keys).size).toBe(keys.length);
  const ledger = await env.pool.query("SELECT dedup_key FROM pages WHERE incident_number = $1 AND status = 'sent' AND channel = 'email'", [
    state.number,
  ]);
  expect(ledger.rows.map((r: { dedup_key: string }) => r.dedup_key).sort()).toEqual([...keys].sort());
  // And every SMS page went out once: one text per email page, to the same people.
  const emailPagesTo = (email: string) => mailsOf().filter((m) => m.to.includes(email) && m.subject.includes('(page:')).length;
  for (const contact of policy.contacts.filter((c) => emailPagesTo(c.email) > 0)) {
    expect(twilio.requests.filter((r) => r.kind === 'sms' && r.To === contact.phone && r.Body!.includes(`${id}:`))).toHaveLength(
      emailPagesTo(contact.email),
    );
  }
  // The on-call page sent before the kill keeps its key; after the restart each overdue level is paged,
  // and nobody gets two pages within the repeat interval (4s), however long the worker was away.
  const pageKeys = keys.filter((k) => k.startsWith('page:'));
  expect(pageKeys[0]).toMatch(/^page:c0-l0:engineer-/);
  for (const email of ['eng-lead@example.com', 'cto@example.com', pageKeys[0]!.split(':')[2] + '@example.com']) {
    const times = mailsOf()
      .filter((m) => m.to.includes(email) && m.subject.includes('(page:'))
      .map((m) => m.receivedAt)
      .sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(3500);
  }
});

test('store sessions ended under the worker (a failover, pg_terminate_backend) do not stop it: the next incident is recorded and paged', async () => {
  const policy = testPolicy();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'incident-policy-'));
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const taskQueue = uniqueQueue('store-drop');
  // Its own session name, so only this worker's sessions end (other suites run alongside).
  const applicationName = `incident-orchestrator-store-${taskQueue.slice(-8)}`;
  const dropper = await spawnWorkerProcess({
    STORE_APPLICATION_NAME: applicationName,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: taskQueue,
    DATABASE_URL: process.env.TEST_DB_URL!,
    SMTP_URL: smtp.url,
    POLICY_FILE: policyFile,
  });
  try {
    // Twice, as in a failover: the worker is busy with an incident (so holds sessions), then every
    // session of the store ends.
    for (let i = 0; i < 2; i++) {
      const busy = await declareIncident(env, taskQueue, { policy });
      await waitFor(() => smtp.mails.some((m) => m.subject.includes(`${busy.state.incidentId}:`)), 'a page');
      const { rowCount } = await env.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [applicationName],
      );
      expect(rowCount).toBeGreaterThan(0);
      await sleep(500);
    }
    expect(dropper.child.exitCode).toBeNull();
    const second = await declareIncident(env, taskQueue, { policy });
    await waitFor(() => smtp.mails.some((m) => m.subject.includes(`${second.state.incidentId}:`)), 'the next page');
    const { rows } = await env.pool.query('SELECT count(*) AS n FROM incidents WHERE incident_id = $1', [second.state.incidentId]);
    expect(Number(rows[0].n)).toBe(1);
    expect(dropper.output()).toContain('store: a database session was lost');
    expect(dropper.child.exitCode).toBeNull();
  } finally {
    await dropper.kill('SIGKILL');
  }
});
