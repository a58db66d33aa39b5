// A runbook host trusts only itself: whoever can start workflows on Temporal cannot make it run a
// command or a statement that its own policy does not hold, and its SQL cannot leave its box.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { RunbookDef, RunbookPolicy } from '../policy/runbook-schema';
import type { ResponsePolicy } from '../policy/schema';
import {
  INCIDENT_WORKFLOW_TYPE,
  RUNBOOK_WORKFLOW_TYPE,
  runbookStateQuery,
  stateQuery,
  type IncidentInput,
  type RunbookInput,
  type RunbookState,
  type StepRun,
} from '../contract';
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
  scratchDatabase,
  shellStep,
  sqlStep,
  startRunbookHost,
  testRunbook,
  uniqueHost,
  waitForStep,
} from './helpers/runbooks';

const host = uniqueHost('trust');
const taskQueue = uniqueQueue('host-trust');
const suffix = randomUUID().slice(0, 8);
const scratchDb = `trust_scratch_${suffix}`;
const readerRole = `trust_reader_${suffix}`;
const PASSWORD = `pw-${suffix}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'host-trust-'));
const allowed = path.join(work, 'allowed');
mkdirSync(path.join(allowed, 'real'), { recursive: true });
// A link under the allowed prefix that points outside it.
symlinkSync('/etc', path.join(allowed, 'escape'));
const marker = (name: string) => path.join(work, name);

const shell = (id: string, argv: string[]) => shellStep(id, argv, { timeout: '20s' });
const sql = sqlStep;
const def = (id: string, steps: RunbookDef['steps'], extra: Partial<RunbookDef> = {}) => testRunbook(host, id, steps, extra);

// The host's own policy: a disk check and a path-typed size check.
const own = runbookPolicy({
  host,
  definitions: [
    def('diag', [shell('disk', ['df', '-h']), shell('sizes', ['du', '-sh', '{dir}'])], {
      params: [{ name: 'dir', type: 'path', label: 'dir', prefixes: [allowed], description: '', stripPort: false }],
    }),
  ],
});

// What an attacker with access to Temporal would send: commands the host never agreed to.
const hostileSteps = [
  shell('shell', ['find', '/tmp', '-maxdepth', '0', '-exec', '/bin/sh', '-c', `id > ${marker('shell-ran')}`, ';']),
  sql('commit', 'app', `COMMIT; CREATE TABLE trust_evil_${suffix} (a int)`),
  sql('program', 'app', `COPY (SELECT 1) TO PROGRAM 'id > ${marker('program-ran')}'`),
];
const hostile = (definitions: RunbookDef[]): ResponsePolicy => ({ ...own, runbooks: { ...own.runbooks, definitions } });

// SQL defences are checked on a host whose own policy slipped past the schema (built without parsing).
const boxRunbook = def('box', [
  sql('commit', 'app', `COMMIT; CREATE TABLE trust_evil_${suffix} (a int)`),
  sql('program', 'app', `COPY (SELECT 1) TO PROGRAM 'id > ${marker('program-ran')}'`),
  sql('as-superuser', 'super', 'SELECT 1 AS one'),
]);
const hostRunbooks: RunbookPolicy = { ...own.runbooks, definitions: [...own.runbooks.definitions, boxRunbook] };

let env: TestEnv;
let worker: RunningTestWorker;
let hostWorker: { stop(): Promise<void> };
let admin: Client;

const dbUrl = scratchDatabase(scratchDb, PASSWORD);

beforeAll(async () => {
  env = await openTestEnv();
  const base = new URL(process.env.TEST_DB_URL!);
  base.search = '';
  admin = new Client({ connectionString: base.toString(), application_name: 'incident-orchestrator-test-admin' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratchDb}`);
  await admin.query(`CREATE ROLE ${readerRole} LOGIN PASSWORD '${PASSWORD}' IN ROLE pg_monitor`);
  worker = await startTestWorker(env, { taskQueue, policy: own });
  hostWorker = await startRunbookHost(env, {
    host,
    policy: { ...own, runbooks: hostRunbooks },
    // The test database's own user is a superuser: the host must refuse to run steps as it.
    databases: { app: { query: dbUrl(readerRole) }, super: { query: dbUrl() } },
  });
});

afterAll(async () => {
  await hostWorker?.stop();
  await worker?.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`).catch(() => undefined);
  await admin.query(`DROP ROLE IF EXISTS ${readerRole}`).catch(() => undefined);
  await admin.end();
  await env.close();
});

const nothingRan = async () => {
  expect(existsSync(marker('shell-ran'))).toBe(false);
  expect(existsSync(marker('program-ran'))).toBe(false);
  const scratch = new Client({ connectionString: dbUrl() });
  await scratch.connect();
  const { rowCount } = await scratch.query('SELECT 1 FROM pg_tables WHERE tablename = $1', [`trust_evil_${suffix}`]);
  await scratch.end();
  expect(rowCount).toBe(0);
};

/** Starts the runbook workflow directly, as an attacker could, for a real incident's number. */
async function runbooksStartedDirectly(policy: ResponsePolicy, runbookId: string): Promise<StepRun[]> {
  const { state } = await declareIncident(env, taskQueue, { policy: own, severity: 'P3' });
  const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW_TYPE, {
    workflowId: `direct-runbooks-${randomUUID()}`,
    taskQueue,
    args: [
      {
        incidentId: state.incidentId,
        incidentNumber: state.number,
        incidentWorkflowId: `nowhere-${randomUUID()}`,
        policy,
        sync: { phase: 'detect', status: 'open', attached: [{ id: runbookId, labels: {}, by: 'mallory', at: new Date().toISOString() }] },
      } satisfies RunbookInput,
    ],
  });
  const finished = await waitFor(
    async () => {
      const s: RunbookState = await handle.query(runbookStateQuery);
      return s.steps.length > 0 && s.steps.every((step) => ['failed', 'succeeded', 'skipped'].includes(step.status)) ? s.steps : undefined;
    },
    'every step to finish',
    60_000,
  );
  await handle.terminate('test done');
  return finished;
}

test('an incident started directly with a hostile policy is refused that policy, and nothing runs', async () => {
  const evil = def('evil', hostileSteps, { match: { always: true, alertnames: [], labels: {} } });
  const handle = await env.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId: `hostile-${randomUUID()}`,
    taskQueue,
    args: [
      {
        title: 'Hostile',
        severity: 'P3',
        service: 'x',
        source: 'manual',
        declaredBy: 'mallory',
        policy: hostile([evil]),
      } satisfies IncidentInput,
    ],
  });
  const warning = await waitFor(
    async () =>
      (await handle.query(stateQuery))?.timeline.find((e) => e.text.startsWith('The policy given in the workflow input was refused')),
    'the refusal on the timeline',
  );
  expect(warning.kind).toBe('warning');
  expect(warning.text).toContain('is not known to only read');
  expect(warning.text).toContain('one statement per step');
  await new Promise((r) => setTimeout(r, 2000));
  await nothingRan();
  await handle.terminate('test done');
});

test('a runbook workflow started directly with steps the host does not hold runs none of them', async () => {
  const evil = def('evil', hostileSteps, { match: { always: true, alertnames: [], labels: {} } });
  const steps = await runbooksStartedDirectly(hostile([evil]), 'evil');
  expect(steps.map((s) => [s.plan.step, s.status])).toEqual([
    ['shell', 'failed'],
    ['commit', 'failed'],
    ['program', 'failed'],
  ]);
  for (const step of steps) expect(step.error).toContain(`has no runbook step evil/${step.plan.step} in its own policy: nothing was run`);
  await nothingRan();
});

test("the host's own step ids with another command are refused: the host builds the command itself", async () => {
  const impostor = def('diag', [
    shell('disk', ['find', '/tmp', '-maxdepth', '0', '-exec', '/bin/sh', '-c', `id > ${marker('shell-ran')}`, ';']),
  ]);
  const [step] = await runbooksStartedDirectly(hostile([impostor]), 'diag');
  expect(step!.status).toBe('failed');
  expect(step!.error).toContain(`own policy runs "df -h", not the requested`);
  await nothingRan();
});

test('SQL cannot leave its box: one statement, no server programs, never as a superuser', async () => {
  const steps = await runbooksStartedDirectly({ ...own, runbooks: hostRunbooks }, 'box');
  const byId = Object.fromEntries(steps.map((s) => [s.plan.step, s]));
  expect(byId.commit!.status).toBe('failed');
  expect(byId.commit!.outcome?.headline).toContain('cannot insert multiple commands into a prepared statement');
  expect(byId.program!.status).toBe('failed');
  expect(byId.program!.outcome?.headline).toMatch(/pg_execute_server_program|permission denied/);
  expect(byId['as-superuser']!.status).toBe('failed');
  expect(byId['as-superuser']!.error).toContain('which has superuser: runbook steps refuse such a role');
  await nothingRan();
});

test('a path parameter that resolves outside its prefixes through a symbolic link is refused on the host', async () => {
  const { handle } = await declareIncident(env, taskQueue, {
    policy: own,
    severity: 'P3',
    source: 'alertmanager',
    alerts: [firingAlert('diag-alert', { dir: path.join(allowed, 'escape') })],
  });
  const refused = await waitForStep(env, handle, 'diag/sizes', ['failed', 'succeeded']);
  expect(refused.status).toBe('failed');
  expect(refused.error).toContain(`resolves to /etc, outside ${allowed}`);

  const fine = await declareIncident(env, taskQueue, {
    policy: own,
    severity: 'P3',
    source: 'alertmanager',
    alerts: [firingAlert('diag-alert', { dir: path.join(allowed, 'real') })],
  });
  expect((await waitForStep(env, fine.handle, 'diag/sizes', ['failed', 'succeeded'])).status).toBe('succeeded');
});
