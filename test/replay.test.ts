import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from './helpers/harness';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('saved histories exist', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

// A change to workflow code that would break running incidents fails here (use patched() instead).
test.each(files)('replays %s deterministically', async (file) => {
  // The worker converts the CLI's JSON export itself.
  const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).resolves.toBeUndefined();
});

// The negative control: a history whose commands the code would not issue must fail to replay, or
// the test above proves nothing. Here a step is renamed back to the activity hosts served before.
test('a history that differs from the code fails to replay', async () => {
  const file = 'runbook-steps-v5.json';
  const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[];
  };
  const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runStep');
  expect(scheduled).toBeDefined();
  scheduled!.activityTaskScheduledEventAttributes!.activityType!.name = 'runShellStep';
  await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).rejects.toThrow(
    /[Nn]ondeterminism|DeterminismViolation/,
  );
});
