import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { advancePhaseUpdate, stateQuery, type EvidenceRecord, type StepRun } from '../contract';
import type { RunbookDef } from '../policy/runbook-schema';
import { RECORDER } from './fixtures/runbook-scripts';
import { runCli } from './helpers/cli';
import {
  declareIncident,
  openTestEnv,
  startTestWorker,
  uniqueQueue,
  waitFor,
  type RunningTestWorker,
  type TestEnv,
} from './helpers/harness';
import {
  firingAlert,
  runbookPolicy,
  runbookState,
  scriptDir,
  shippedRunbooks,
  startRunbookHost,
  uniqueHost,
  waitForStep,
} from './helpers/runbooks';
import { spawnWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const host = uniqueHost('local');
const taskQueue = uniqueQueue('runbook-hosts');
const scripts = scriptDir({ recorder: RECORDER });
const calls = () => (existsSync(scripts.path('calls.log')) ? readFileSync(scripts.path('calls.log'), 'utf8') : '');

// Every allowed executable is the recorder here: whatever runs is written down, and nothing else happens.
// The shipped runbooks with their diagnostics turned on for every incident, as a user who wants them sets.
const shipped = shippedRunbooks().map((d) => (d.id.endsWith('-diagnostics') ? { ...d, match: { ...d.match, always: true } } : d));
const allowlist = Object.fromEntries(
  Object.keys(runbookPolicy({ host }).runbooks.executables ?? {}).map((name) => [name, scripts.path('recorder')]),
);
const split = (id: string, label: string): RunbookDef => ({
  id,
  title: id,
  description: '',
  match: { always: false, alertnames: ['SplitHostAlert'], labels: {} },
  host: { label, default: 'local' },
  params: [],
  followUps: [],
  steps: ['one', 'two'].map((n) => ({
    id: n,
    title: n,
    phase: 'detect' as const,
    kind: 'shell' as const,
    approval: 'none' as const,
    timeout: '30s',
    args: [],
    action: 'query' as const,
    argv: ['recorder', `${id}-${n}`],
  })),
});
const policy = runbookPolicy({
  host,
  definitions: [...shipped, split('on-other', 'instance'), split('on-local', 'no_such_label')],
  executables: { ...allowlist, recorder: scripts.path('recorder') },
  // Machines named other-* run their own runbook worker; every other instance runs on the default host.
  runbooks: { readOnly: ['recorder'], hosts: [{ instance: 'other-*', host: '{instance}' }] },
});

let env: TestEnv;
let worker: RunningTestWorker;
let hostWorker: { stop(): Promise<void> };
let cliEnv: Record<string, string>;

beforeAll(async () => {
  env = await openTestEnv();
  worker = await startTestWorker(env, { taskQueue, policy });
  hostWorker = await startRunbookHost(env, { host, policy });
  cliEnv = { TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue };
});
afterAll(async () => {
  await hostWorker?.stop();
  await worker?.stop();
  await env?.close();
});

const alert = firingAlert;

const evidenceOf = async (incidentId: string) =>
  JSON.parse((await runCli(cliEnv, 'show', incidentId, '--evidence', '--json')).stdout) as EvidenceRecord[];

test('a second worker process with --runbook-host other receives only its own steps', async () => {
  const other = uniqueHost('other');
  const policyFile = path.join(scripts.dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  let child: WorkerProcess | undefined;
  try {
    child = await spawnWorkerProcess(
      { TEMPORAL_ADDRESS: env.address, POLICY_FILE: policyFile },
      ['--runbook-host', other],
      'Runbook worker for host',
    );
    const { handle, state } = await declareIncident(env, taskQueue, {
      policy,
      severity: 'P3',
      source: 'alertmanager',
      alerts: [alert('SplitHostAlert', { instance: `${other}:9100` })],
    });
    const runs: StepRun[] = [];
    for (const ref of ['on-other/one', 'on-other/two', 'on-local/one', 'on-local/two'])
      runs.push(await waitForStep(env, handle, ref, ['succeeded', 'failed']));
    for (const run of runs) expect(run.status).toBe('succeeded');
    const [o1, o2, l1, l2] = runs.map((r) => r.outcome!);
    expect([o1!.host, o2!.host, o1!.workerPid, o2!.workerPid]).toEqual([other, other, child.child.pid, child.child.pid]);
    expect([l1!.host, l2!.host, l1!.workerPid, l2!.workerPid]).toEqual([host, host, process.pid, process.pid]);
    expect(runs.map((r) => r.plan.queue)).toEqual([`runbook-${other}`, `runbook-${other}`, `runbook-${host}`, `runbook-${host}`]);
    const evidence = await evidenceOf(state.incidentId);
    expect(evidence.map((e) => `${e.ref}@${e.host}`).sort()).toEqual(
      [`on-local/one@${host}`, `on-local/two@${host}`, `on-other/one@${other}`, `on-other/two@${other}`].sort(),
    );
  } finally {
    await child?.kill('SIGTERM');
  }
});

describe('the injection corpus executes nothing', () => {
  const marker = path.join(scripts.dir, 'pwned');
  const touch = `touch ${marker}`;
  const scenarios = ['PostgresTooManyConnections', 'RedisOutOfMemory', 'NodeFilesystemAlmostOutOfSpace', 'DDoSSuspected', 'SSLCertExpired'];
  const finished = (s: StepRun) => ['succeeded', 'failed', 'skipped'].includes(s.status);

  async function runAll(labels: Record<string, string>): Promise<{ handle: WorkflowHandle; steps: StepRun[]; incidentId: string }> {
    const { handle, state } = await declareIncident(env, taskQueue, {
      policy,
      severity: 'P3',
      commander: 'ic',
      source: 'alertmanager',
      alerts: scenarios.map((name) => alert(name, labels)),
    });
    expect(await runCli(cliEnv, 'runbook', state.incidentId, 'restart-service', '--as', 'ic')).toMatchObject({ code: 0 });
    await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'investigate' }] });
    const steps = await waitFor(
      async () => {
        const s = await runbookState(env, handle).catch(() => undefined);
        const diagnostics = s?.steps.filter((r) => r.plan.phase !== 'contain') ?? [];
        return diagnostics.length > 30 && diagnostics.every(finished) && !s!.steps.some((r) => r.status === 'running')
          ? s!.steps
          : undefined;
        // Some thirty steps over real hosts: on a loaded machine (or with the workflow cache off) it takes a while.
      },
      'every diagnostic step to finish',
      70_000,
    );
    return { handle, steps, incidentId: state.incidentId };
  }

  test('a hostile instance label routes nowhere: every command step is skipped', async () => {
    const before = calls();
    const hostile = `$(${touch})`;
    const { handle, steps, incidentId } = await runAll({
      instance: hostile,
      mountpoint: hostile,
      source_ip: hostile,
      domain: hostile,
      service_unit: hostile,
    });
    for (const s of steps.filter((r) => r.plan.kind !== 'notify')) {
      expect(s.status).toBe('skipped');
      expect(s.reason).toMatch(/^(cannot route: label instance=|parameter \{)/);
    }
    expect(calls()).toBe(before);
    expect(await evidenceOf(incidentId)).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    await waitFor(
      async () =>
        (await handle.query(stateQuery))!.timeline.filter((e) => e.kind === 'warning' && e.text.includes('Nothing was run')).length ===
        steps.filter((r) => r.plan.kind !== 'notify').length,
      'a timeline warning for every skipped step',
    );
  });

  test.each([
    [
      'backticks, ;, |, && and newlines',
      {
        mountpoint: `/tmp/\`${touch}\``,
        source_ip: `10.0.0.1; ${touch}`,
        domain: `example.com && ${touch}`,
        service_unit: `nginx\n${touch}`,
      },
    ],
    [
      'NUL, long values, unicode and option look-alikes',
      { mountpoint: '/tmp/\0x', source_ip: '1'.repeat(5000), domain: 'exämple.com', service_unit: '--help' },
    ],
  ])('hostile parameters (%s) skip exactly the steps that use them', async (_name, labels) => {
    const { steps, incidentId } = await runAll(labels);
    const usesLabel = (r: StepRun) =>
      [
        'disk-space-full/usage',
        'disk-space-full/inodes',
        'disk-space-full/largest-dirs',
        'disk-space-full/large-files',
        'disk-space-full/usage-after',
        'ddos/block-ip',
        'ssl-certificate-expired/served',
        'ssl-certificate-expired/served-after',
        'restart-service/restart',
        'restart-service/status',
      ].includes(r.plan.ref);
    const hostileSteps = steps.filter(usesLabel);
    expect(hostileSteps).toHaveLength(10);
    for (const s of hostileSteps) {
      // Skipped when reached; a step behind an unanswered approval is still waiting, and will be skipped too.
      expect(s.status).toMatch(/^(skipped|waiting)$/);
      expect(s.plan.skip).toMatch(/^parameter \{(mountpoint|source_ip|domain|service)\} from label /);
      expect(s.plan.argv).toBeUndefined();
    }
    // The steps that need no label value ran, through the recorder, with the policy's own arguments.
    const ran = steps.filter((r) => r.status === 'succeeded' && r.plan.kind !== 'notify');
    expect(ran.length).toBeGreaterThan(15);
    const log = calls();
    for (const fragment of ['touch', 'pwned', '`', ';', '|', '&&', '\0', 'exämple', '--help', '1111111111'])
      expect(log).not.toContain(fragment);
    const evidence = await evidenceOf(incidentId);
    expect(evidence.length).toBe(ran.length);
    expect(JSON.stringify(evidence)).not.toMatch(/touch|pwned|exämple|1111111111/);
    expect(existsSync(marker)).toBe(false);
  });
});
