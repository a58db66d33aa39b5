/**
 * Builds the workflow bundle once, at build time (`npm run build`): workers load it with
 * `workflowBundle` and start without bundling. Written next to the compiled code as dist/workflow-bundle.js.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(out: string) {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
}

main(process.argv[2] ?? path.resolve(__dirname, '../workflow-bundle.js')).catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
