import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ExitCode } from '../client/failures';
import type { RunbookDef } from '../policy/runbook-schema';
import type { ResponsePolicy } from '../policy/schema';
import { runbookDatabases } from '../config/env';
import { acknowledgeUpdate, advancePhaseUpdate, stateQuery, type AlertRef, type IncidentState } from '../contract';
import { FAKE_SYSTEMCTL, LEAKY, LEAKY_ENCODED, LONG_RUNNING } from './fixtures/runbook-scripts';
import { runCli } from './helpers/cli';
import { startTestApi, type TestApi } from './helpers/api';
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
import {
  findRunbook,
  firingAlert,
  runbookHandle,
  runbookPolicy,
  runbookState,
  scriptDir,
  shellStep,
  startRunbookHost,
  testRunbook,
  uniqueHost,
  waitForStep,
} from './helpers/runbooks';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';

const host = uniqueHost('local');
const taskQueue = uniqueQueue('runbooks');
const scripts = scriptDir({ 'fake-systemctl': FAKE_SYSTEMCTL, long: LONG_RUNNING, leak: LEAKY, 'leak-encoded': LEAKY_ENCODED });
const executables = {
  systemctl: scripts.path('fake-systemctl'),
  long: scripts.path('long'),
  leak: scripts.path('leak'),
  'leak-encoded': scripts.path('leak-encoded'),
};
const SECRET = 'red1s-s3cret-value';

const step = shellStep;
const runbook = (id: string, steps: RunbookDef['steps'], extra: Partial<RunbookDef> = {}) => testRunbook(host, id, steps, extra);

const testRunbooks: RunbookDef[] = [
  findRunbook('disk-space-full'),
  findRunbook('restart-service'),
  runbook('long', [step('run', ['long'])]),
  runbook('short-timeout', [step('run', ['long'], { timeout: '1s' })]),
  runbook('leak', [step('print', ['leak'])]),
  runbook('leak-encoded', [step('print', ['leak-encoded'])]),
  runbook('gate', [step('change', ['leak'], { approval: 'required' })]),
  runbook('offline', [step('check', ['long'])], { host: { label: 'instance', default: uniqueHost('nowhere') } }),
  runbook(
    'tell',
    [
      {
        ...step('tell-dba', []),
        kind: 'notify',
        argv: undefined,
        targets: ['role:database-admin'],
        message: '{incident_id}: replica lag is {lag_seconds}s',
      },
    ],
    { params: [{ name: 'lag_seconds', type: 'integer', label: 'lag', description: '', stripPort: false }] },
  ),
];

const policyWith = (runbooks: Partial<ResponsePolicy['runbooks']> = {}) =>
  runbookPolicy({
    host,
    definitions: testRunbooks,
    executables,
    runbooks: { secretEnv: ['REDISCLI_AUTH'], readOnly: ['long', 'leak', 'leak-encoded'], ...runbooks },
  });
const policy = policyWith();

let env: TestEnv;
let smtp: TestSmtp;
let worker: RunningTestWorker;
let hostWorker: { stop(): Promise<void> };
let cliEnv: Record<string, string>;
let api: TestApi;

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  hostWorker = await startRunbookHost(env, { host, policy, secrets: { REDISCLI_AUTH: SECRET } });
  cliEnv = { TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue };
  api = await startTestApi(env, taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
  await hostWorker?.stop();
  await worker?.stop();
  await smtp?.close();
  await env?.close();
});

const alert = firingAlert;

async function incidentWith(alerts: AlertRef[], incidentPolicy: ResponsePolicy = policy) {
  return declareIncident(env, taskQueue, {
    policy: incidentPolicy,
    severity: 'P2',
    commander: 'ic',
    source: alerts.length ? 'alertmanager' : 'manual',
    alerts,
  });
}

const timeline = async (handle: WorkflowHandle) =>
  ((await handle.query(stateQuery)) as IncidentState).timeline.map((e) => `${e.kind} ${e.actor} ${e.text}`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const readPid = (name: string) =>
  waitFor(() => (existsSync(scripts.path(name)) ? Number(readFileSync(scripts.path(name), 'utf8')) : 0), name);

test('disk-full diagnostics run on their own against the full filesystem', async () => {
  const full = scriptDir({});
  writeFileSync(path.join(full.dir, 'placeholder'), 'x');
  const big = scriptDir({});
  // A sparse 150 MB file: "find -size +100M" sees it without filling the disk.
  writeFileSync(path.join(big.dir, 'huge.log'), '');
  truncateSync(path.join(big.dir, 'huge.log'), 150 * 1024 * 1024);
  const { handle } = await incidentWith([alert('NodeFilesystemAlmostOutOfSpace', { mountpoint: big.dir })]);

  const usage = await waitForStep(env, handle, 'disk-space-full/usage', ['succeeded', 'failed']);
  expect(usage.status).toBe('succeeded');
  expect(usage.plan.argv).toEqual(['df', '-h', big.dir]);
  const files = await waitForStep(env, handle, 'disk-space-full/large-files', ['succeeded', 'failed']);
  expect(files.outcome?.exitCode).toBe(0);
  await waitForStep(env, handle, 'disk-space-full/largest-dirs', ['succeeded', 'failed']);
  const shown = await runCli(cliEnv, 'show', (await handle.query(stateQuery))!.incidentId, '--evidence');
  expect(shown.stdout).toMatch(/Filesystem\s+Size\s+Used\s+Avail\s+Use%\s+Mounted on/);
  expect(shown.stdout).toContain(path.join(big.dir, 'huge.log'));
  expect(shown.stdout).toContain(`command:  du -xh --max-depth=2 ${big.dir}`);
  // The deletions belong to containment and need approval: nothing was asked yet.
  const state = await runbookState(env, handle);
  expect(state.steps.find((s) => s.plan.step === 'delete-old-logs')?.status).toBe('waiting');
  expect(await timeline(handle)).toContainEqual(expect.stringMatching(/^runbook runbook disk-space-full\/usage exited 0/));
});

test('a service restart runs only after approval, against a fake service', async () => {
  const first = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  first.unref();
  writeFileSync(scripts.path('service.pid'), String(first.pid));
  const { handle, state } = await incidentWith([]);
  const id = state.incidentId;

  const dry = await runCli(cliEnv, 'runbook', id, 'restart-service', '--dry-run');
  expect(dry).toMatchObject({ code: 0 });
  expect(dry.stdout).toContain('systemctl restart app.service');
  expect(dry.stdout).toContain('nothing is attached or run');
  await expect((await runbookHandle(env, handle)).describe()).rejects.toThrow();

  const unknown = await runCli(cliEnv, 'runbook', id, 'no-such-runbook');
  expect(unknown.code).toBe(ExitCode.NotFound);
  expect(unknown.stderr).toContain('no runbook "no-such-runbook"');

  expect(await runCli(cliEnv, 'runbook', id, 'restart-service', '--as', 'ic')).toMatchObject({ code: 0 });
  await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  await waitForStep(env, handle, 'restart-service/restart', ['awaiting-approval']);
  await sleep(500);
  expect(existsSync(scripts.path('calls.log'))).toBe(false);
  expect(alive(first.pid!)).toBe(true);

  // The host runs it only with the approval the HTTP server signed for a verified approver.
  expect(await runCli(await api.as('eng-lead'), 'approve', id, 'restart-service/restart')).toMatchObject({ code: 0 });
  const restarted = await waitForStep(env, handle, 'restart-service/restart', ['succeeded', 'failed']);
  expect(restarted).toMatchObject({ status: 'succeeded', approvedBy: 'eng-lead' });
  expect(readFileSync(scripts.path('calls.log'), 'utf8')).toBe('restart app.service\n');
  const newPid = Number(readFileSync(scripts.path('service.pid'), 'utf8'));
  expect(newPid).not.toBe(first.pid);
  await waitFor(() => !alive(first.pid!), 'the old service process to stop');
  const status = await waitForStep(env, handle, 'restart-service/status', ['succeeded', 'failed']);
  expect(status.outcome?.headline).toBe('* app.service - fake service');
  const listed = await runCli(cliEnv, 'runbook', id);
  expect(listed.stdout).toMatch(/restart-service\/restart\s+contain\s+succeeded, approved by eng-lead/);
  const evidence = await runCli(cliEnv, 'show', id, '--evidence');
  expect(evidence.stdout).toContain(`Main PID: ${newPid}`);
  process.kill(newPid);
});

test('a rejection records who and why, and the step never runs', async () => {
  const { handle, state } = await incidentWith([]);
  const id = state.incidentId;
  expect(await runCli(cliEnv, 'runbook', id, 'restart-service', '--as', 'ic')).toMatchObject({ code: 0 });
  await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  await waitForStep(env, handle, 'restart-service/restart', ['awaiting-approval']);
  const before = existsSync(scripts.path('calls.log')) ? readFileSync(scripts.path('calls.log'), 'utf8') : '';

  const noReason = await runCli(cliEnv, 'reject', id, 'restart-service/restart', '--reason', ' ', '--as', 'ic');
  expect(noReason.code).toBe(ExitCode.InvalidInput);
  const rejected = await runCli(cliEnv, 'reject', id, 'restart', '--reason', 'the pool is fine again', '--as', 'ic');
  expect(rejected).toMatchObject({ code: 0 });
  const run = await waitForStep(env, handle, 'restart-service/restart', ['rejected']);
  expect(run).toMatchObject({ rejectedBy: 'ic', reason: 'the pool is fine again' });
  await waitForStep(env, handle, 'restart-service/status', ['succeeded', 'failed']);
  expect(existsSync(scripts.path('calls.log')) ? readFileSync(scripts.path('calls.log'), 'utf8') : '').toBe(before);
  await waitFor(
    async () =>
      (await timeline(handle)).some((t) => t === 'runbook ic Rejected restart-service/restart: the pool is fine again; it will not run'),
    'the rejection on the timeline',
  );
  const again = await runCli(cliEnv, 'approve', id, 'restart-service/restart', '--as', 'ic');
  expect(again.code).toBe(ExitCode.Rejected);
  expect(again.stderr).toContain('is rejected, not awaiting approval');
});

test('an approval not given in time escalates, and the step still waits', async () => {
  const { handle, state } = await incidentWith([], policyWith({ approvalTimeout: '2s' }));
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'ic' }] });
  await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  expect(await runCli(cliEnv, 'runbook', state.incidentId, 'restart-service', '--as', 'ic')).toMatchObject({ code: 0 });
  await waitForStep(env, handle, 'restart-service/restart', ['awaiting-approval']);
  const escalated = await waitFor(async () => {
    const s = (await handle.query(stateQuery))!;
    return s.timeline.find((e) => e.kind === 'escalation' && e.actor === 'runbook') ? s : undefined;
  }, 'the escalation');
  expect(escalated.escalationLevel).toBeGreaterThan(0);
  expect(escalated.timeline.map((e) => e.text)).toContainEqual(
    expect.stringMatching(/^Escalation to .+: approval of restart-service\/restart not given within 2s$/),
  );
  // The next level hears about it although the incident is acknowledged.
  const page = await waitFor(
    () => smtp.mails.find((m) => m.to.includes('eng-lead@example.com') && m.text.includes(`incidentctl ack ${state.incidentId}`)),
    'the escalation page',
  );
  expect(page.text).toContain('Escalation level: Engineering lead');
  const run = (await runbookState(env, handle)).steps.find((s) => s.plan.ref === 'restart-service/restart')!;
  expect(run).toMatchObject({ status: 'awaiting-approval', escalated: true });
  // Each further timeout reaches one level further, once per level, and stops at the last.
  const capped = await waitFor(async () => {
    const s = (await handle.query(stateQuery))!;
    return s.timeline.some((e) => e.text.endsWith('every level of the escalation path has been paged')) ? s : undefined;
  }, 'the last level');
  const levels = capped.timeline.filter((e) => e.kind === 'escalation' && e.actor === 'runbook').map((e) => e.text.split(':')[0]);
  expect(levels).toEqual(['Escalation to Engineering lead', 'Escalation to CTO']);
});

test('a timeout kills the whole process group', async () => {
  const { handle } = await incidentWith([alert('short-timeout-alert')]);
  const run = await waitForStep(env, handle, 'short-timeout/run', ['failed', 'succeeded']);
  expect(run.outcome).toMatchObject({ timedOut: true });
  const parent = await readPid('long.pid');
  const child = await readPid('long-child.pid');
  await waitFor(() => !alive(parent) && !alive(child), 'the step and its child to be gone', 5000);
  expect(await timeline(handle)).toContainEqual(
    expect.stringMatching(/short-timeout\/run timed out after 1s; its process group was killed/),
  );
});

test('rejecting a running step kills its process', async () => {
  for (const f of ['long.pid', 'long-child.pid']) rmSync(scripts.path(f), { force: true });
  const { handle, state } = await incidentWith([alert('long-alert')]);
  await waitForStep(env, handle, 'long/run', ['running']);
  const parent = await readPid('long.pid');
  const child = await readPid('long-child.pid');
  expect(alive(parent)).toBe(true);
  expect(await runCli(cliEnv, 'reject', state.incidentId, 'long/run', '--reason', 'wrong host', '--as', 'ic')).toMatchObject({ code: 0 });
  await waitForStep(env, handle, 'long/run', ['rejected']);
  await waitFor(() => !alive(parent) && !alive(child), 'the rejected step to be killed', 10_000);
});

test('cancelling the incident kills a running step', async () => {
  for (const f of ['long.pid', 'long-child.pid']) rmSync(scripts.path(f), { force: true });
  const { handle } = await incidentWith([alert('long-alert')]);
  await waitForStep(env, handle, 'long/run', ['running']);
  const parent = await readPid('long.pid');
  await handle.cancel();
  await waitFor(() => !alive(parent), 'the step of the cancelled incident to be killed', 15_000);
});

test('naming yourself commander, being named by someone not allowed to, or unverified, does not open the approval gate', async () => {
  const { handle, state } = await declareIncident(env, taskQueue, {
    policy,
    severity: 'P2',
    source: 'alertmanager',
    alerts: [alert('gate-alert')],
  });
  const id = state.incidentId;
  await waitForStep(env, handle, 'gate/change', ['awaiting-approval']);
  // People act through the API, verified; `--as` is anyone's word.
  const approveAs = async (who: string) => runCli(await api.as(who), 'approve', id, 'gate/change');
  const commander = async (who: string, by: string, verified = true) => {
    const named = verified
      ? await runCli(await api.as(by), 'commander', id, who, '--force')
      : await runCli(cliEnv, 'commander', id, who, '--as', by, '--force');
    expect([named.code, named.stderr]).toEqual([0, '']);
    await waitFor(async () => (await runbookState(env, handle)).sync.commander === who, 'the runbooks to hear of the commander');
  };

  // The audit's bypass: a stranger makes themselves commander, then approves.
  await commander('eve', 'eve', false);
  expect(await runCli(cliEnv, 'approve', id, 'gate/change', '--as', 'eve')).toMatchObject({
    code: ExitCode.Rejected,
    stderr: expect.stringContaining('eve may not approve runbook steps: not a contact in the policy'),
  });
  // A contact who names themselves.
  await commander('engineer-a', 'engineer-a');
  expect((await approveAs('engineer-a')).stderr).toContain('they named themselves commander, and a self-assignment cannot approve');
  // Named by someone who may not name commanders.
  await commander('engineer-c', 'engineer-d');
  expect((await approveAs('engineer-c')).stderr).toContain('named commander by engineer-d, who may not name commanders');
  // Named by the engineering lead's name written with --as: anyone could have written it.
  await commander('engineer-d', 'eng-lead', false);
  expect((await approveAs('engineer-d')).stderr).toContain('named commander by eng-lead without a verified identity');
  expect((await runbookState(env, handle)).steps[0]!.status).toBe('awaiting-approval');
  // Named by the engineering lead, verified: the commander may approve, and the host runs the step.
  await commander('engineer-b', 'eng-lead');
  expect(await approveAs('engineer-b')).toMatchObject({ code: 0 });
  expect(await waitForStep(env, handle, 'gate/change', ['succeeded', 'failed'])).toMatchObject({
    status: 'succeeded',
    approvedBy: 'engineer-b',
  });
});

test('secrets given through the environment are redacted from evidence', async () => {
  const { handle, state } = await incidentWith([alert('leak-alert')]);
  await waitForStep(env, handle, 'leak/print', ['succeeded']);
  const evidence = await runCli(cliEnv, 'show', state.incidentId, '--evidence', '--json');
  const [record] = JSON.parse(evidence.stdout) as { stdout: string; stderr: string }[];
  expect(record!.stdout).toBe('connecting with password [redacted]\n');
  expect(record!.stderr).toBe('warning: auth=[redacted]\n');
  // Encoded copies, and one that straddles the 64 KiB output cap, are redacted too.
  const encoded = await incidentWith([alert('leak-encoded-alert')]);
  await waitForStep(env, encoded.handle, 'leak-encoded/print', ['succeeded']);
  const [leaked] = JSON.parse((await runCli(cliEnv, 'show', encoded.state.incidentId, '--evidence', '--json')).stdout) as {
    stdout: string;
  }[];
  expect(leaked!.stdout).toContain('base64 [redacted]\nhex [redacted]\nplain [redacted]\n');
  const tail = leaked!.stdout.slice(leaked!.stdout.lastIndexOf('x') + 1);
  for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')])
    expect(leaked!.stdout).not.toContain(form.slice(0, 6));
  expect('[redacted]'.startsWith(tail)).toBe(true);
  expect(evidence.stdout).not.toContain(SECRET);
  const { rows } = await env.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM runbook_evidence WHERE stdout LIKE $1 OR stderr LIKE $1',
    [`%${SECRET}%`],
  );
  expect(Number(rows[0]!.n)).toBe(0);
});

test('a host without a worker is information for the commander, once per host: never an escalation, never a hang', async () => {
  const { handle, state } = await incidentWith([alert('offline-alert')], policyWith({ hostOfflineAfter: '2s' }));
  const run = await waitForStep(env, handle, 'offline/check', ['failed']);
  expect(run.error).toMatch(/^host nowhere-\w+ is offline: no runbook worker took the step within 2s$/);
  const told = await waitFor(
    () => smtp.mails.filter((m) => m.subject.startsWith(`[${state.incidentId}] Runbook trouble on host nowhere-`)),
    'the commander to hear of it',
  );
  expect(told.map((m) => m.to)).toEqual([['ic@example.com']]);
  await sleep(1500);
  const after = (await handle.query(stateQuery))!;
  expect(after.timeline.filter((e) => e.kind === 'escalation')).toEqual([]);
  expect(after.escalationLevel).toBe(0);
  expect(after.timeline.map((e) => e.text)).toContainEqual(expect.stringMatching(/^offline\/check not run: host nowhere-\w+ is offline/));
});

test('RUNBOOK_DB_<NAME> and RUNBOOK_TERMINATE_DB_<NAME> variables name the databases, and a bad one is named', () => {
  expect(
    runbookDatabases({
      RUNBOOK_DB_APP: 'postgres://u@db/app',
      RUNBOOK_TERMINATE_DB_APP: 'postgres://ops@db/app',
      RUNBOOK_DB_BILLING_RO: 'postgresql://x@y/z',
    }),
  ).toEqual({
    app: { query: 'postgres://u@db/app', terminate: 'postgres://ops@db/app' },
    'billing-ro': { query: 'postgresql://x@y/z' },
  });
  expect(() => runbookDatabases({ RUNBOOK_DB_APP: 'mysql://db/app' })).toThrow('RUNBOOK_DB_APP: must start with postgres: or postgresql:');
});

test('a notify step sends its message, with typed parameters, to its targets', async () => {
  const { handle, state } = await incidentWith([alert('tell-alert', { lag: '42' })]);
  await waitForStep(env, handle, 'tell/tell-dba', ['succeeded']);
  const mail = await waitFor(
    () => smtp.mails.find((m) => m.to.includes('dba@example.com') && m.subject.includes('replica lag')),
    'the notification',
  );
  expect(mail.subject).toBe(`[${state.incidentId}] ${state.incidentId}: replica lag is 42s`);
  const hostile = await incidentWith([alert('tell-alert', { lag: '42; rm -rf /' })]);
  const skipped = await waitForStep(env, hostile.handle, 'tell/tell-dba', ['skipped']);
  expect(skipped.reason).toBe(
    'parameter {lag_seconds} from label lag = "42; rm -rf /" contains whitespace, control or non-ASCII characters',
  );
});

test('runbook list shows what the policy defines and what attaches each', async () => {
  const listed = await runCli(cliEnv, 'runbook', 'list');
  expect(listed.code).toBe(0);
  expect(listed.stdout.split('\n')[0]).toMatch(/^RUNBOOK\s+STEPS\s+APPROVAL\s+ATTACHES ON\s+TITLE$/);
  expect(listed.stdout).toMatch(/^disk-space-full\s+7\s+2\s+alertname=NodeFilesystemSpaceFillingUp/m);
  expect(listed.stdout).toMatch(/^restart-service\s+2\s+1\s+by hand\s+Restart a service$/m);
  expect(listed.stdout).toMatch(/^gate\s+1\s+1\s+/m);
  const json = JSON.parse((await runCli(cliEnv, 'runbook', 'list', '--json')).stdout) as { id: string }[];
  expect(json.map((r) => r.id)).toEqual(testRunbooks.map((r) => r.id));
});
