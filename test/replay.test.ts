import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

// The workflow code as the worker bundles it, built once for this file (no server needed).
let bundle: { code: string };
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quiet });
});
const workflowBundle = () => bundle;

// Every flow captured at 1.0, and each later capture beside it: a lost file fails here.
test('the saved histories cover every captured flow', () => {
  const flows = new Set(files.map((f) => f.replace(/-v[\d.]+\.json$/, '')));
  expect([...flows].sort()).toEqual([
    'after-hours-raised',
    'backup-paged',
    'maintenance-suppressed',
    'notification-rules-followed',
    'p0-upgraded-manual-escalation',
    'p1-continued-as-new',
    'p1-escalated-lifecycle',
    'p3-auto-resolved',
    'review-reminded-submitted',
    'runbook-incident',
    'runbook-steps',
    'team-db-escalated',
  ]);
  // 1.0's seven are never recaptured (docs/versioning.md); later flows come under the tag that brought them.
  expect(files.filter((f) => f.endsWith('-v1.0.json'))).toHaveLength(7);
  expect(files.filter((f) => f.endsWith('-v1.1.json'))).toEqual([
    'after-hours-raised-v1.1.json',
    'backup-paged-v1.1.json',
    'maintenance-suppressed-v1.1.json',
    'notification-rules-followed-v1.1.json',
    'team-db-escalated-v1.1.json',
  ]);
  expect(files).toHaveLength(12);
});

// A change to workflow code that would break running incidents fails here (put it behind a patch).
test.each(files)('replays %s deterministically', async (file) => {
  // The worker converts the CLI's JSON export itself.
  const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).resolves.toBeUndefined();
});

// The negative control: a history whose commands the code would not issue must fail to replay, or
// the test above proves nothing. Here a step is renamed to an activity the code never schedules.
test('a history that differs from the code fails to replay', async () => {
  const file = 'runbook-steps-v1.0.json';
  const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[];
  };
  const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runStep');
  expect(scheduled).toBeDefined();
  scheduled!.activityTaskScheduledEventAttributes!.activityType!.name = 'runShellCommand';
  await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).rejects.toThrow(
    /[Nn]ondeterminism|DeterminismViolation/,
  );
});

// The other negative control: the same history against workflow code changed by one timer at start.
test('a changed workflow fails to replay a saved history', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: [require.resolve('./fixtures/changed-workflow-interceptor')],
    logger: quiet,
  });
  const file = 'p1-escalated-lifecycle-v1.0.json';
  const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, file)).rejects.toThrow(
    /[Nn]ondeterminism|DeterminismViolation/,
  );
});
