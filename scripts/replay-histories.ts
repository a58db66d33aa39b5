/**
 * Replays saved workflow histories against the current workflow code: `npm run histories:replay [files...]`.
 * Exits non-zero when any history no longer replays, i.e. a change would break running incidents.
 * Then the negative control: the same histories against the code changed by one timer must all fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';

type History = { workflowId: string; history: unknown };

async function replay(histories: History[], interceptorModules: string[] = []): Promise<{ workflowId: string; error?: unknown }[]> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: interceptorModules,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const results: { workflowId: string; error?: unknown }[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
  return results;
}

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
  const results = await replay(histories);
  const failed = results.filter((r) => r.error);
  for (const r of results)
    console.log(
      `${r.error ? 'FAIL' : 'ok  '} ${r.workflowId}${r.error ? `: ${r.error instanceof Error ? r.error.message : JSON.stringify(r.error)}` : ''}`,
    );
  console.log(`${results.length - failed.length} replayed, ${failed.length} failed`);

  const changed = await replay(histories, [require.resolve('../test/fixtures/changed-workflow-interceptor')]);
  const passedWhenChanged = changed.filter((r) => !r.error).map((r) => r.workflowId);
  console.log(
    `negative control (workflow code changed by one timer): ${changed.length - passedWhenChanged.length} of ${changed.length} failed as they must` +
      (passedWhenChanged.length ? `; replayed anyway: ${passedWhenChanged.join(', ')}` : ''),
  );
  process.exitCode = failed.length || passedWhenChanged.length ? 1 : 0;
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.stack);
  process.exit(2);
});
