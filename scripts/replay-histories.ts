/**
 * Replays saved workflow histories against the current workflow code: `npm run histories:replay [files...]`.
 * Exits non-zero when any history no longer replays, i.e. a change would break running incidents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

async function main(files: string[]) {
  const dir = path.resolve(__dirname, '../test/histories');
  const targets = files.length
    ? files
    : readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(dir, f));
  const histories = targets.map((file) => ({
    workflowId: path.basename(file, '.json'),
    history: JSON.parse(readFileSync(file, 'utf8')) as unknown,
  }));
  let failed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../workflows') }, histories)) {
    if (result.error) failed++;
    console.log(JSON.stringify({ history: result.workflowId, ok: !result.error, error: result.error ? String(result.error) : undefined }));
  }
  console.log(`${targets.length - failed} replayed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.stack);
  process.exit(2);
});
