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
