/**
 * `npm run bench:cli`: how long `incidentctl list`, `show` and `ack` take from a shell, p50 of 10 runs
 * each, beside floors measured in the same run: `temporal workflow list` (Go, one RPC) and `node -e 0`
 * (Node's own start). Also the ways of calling it: the bundle (what bin/incidentctl.js runs), the
 * compiled modules, and npx in front.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { ReviewStore } from '../store/review-store';
import { IncidentStore } from '../store/incident-store';
import { INCIDENT_WORKFLOW_TYPE, stateQuery, type IncidentInput } from '../contract';
import { percentile, waitFor } from '../dev/probes';
import { resolveTemporalCli } from '../dev/temporal-cli';
import { loadPolicy } from '../policy/load';
import { createIncidentWorker } from '../workers/create-worker';
import { NativeConnection } from '@temporalio/worker';
import { openBenchEnv } from './env';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 10);
const root = path.resolve(__dirname, '..');
const run = promisify(execFile);

async function main() {
  const bench = await openBenchEnv('bench-cli');
  try {
    const taskQueue = 'bench-cli';
    const policy = loadPolicy();
    const native = await NativeConnection.connect({ address: bench.address });
    const connection = await Connection.connect({ address: bench.address });
    const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
    bench.cleanups.push(() => connection.close());
    const worker = await createIncidentWorker({
      dataConverter: ephemeralDataConverter(),
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: { codePath: path.join(root, 'dist/workflow-bundle.js') },
      deps: { store: new IncidentStore(bench.db), reviews: new ReviewStore(bench.db), policy },
    });
    const running = worker.run();
    bench.cleanups.push(async () => {
      worker.shutdown();
      await running;
      await native.close();
    });

    // Incidents to list, show and acknowledge (one per ack run).
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `bench-cli-${Date.now()}-${i}`,
        memo: { title: `Bench ${i}` },
        args: [{ title: `Bench ${i}`, severity: 'P3', service: 'bench', source: 'manual', declaredBy: 'bench' } satisfies IncidentInput],
      });
      ids.push(await waitFor('registration', async () => (await handle.query(stateQuery))?.incidentId || undefined));
    }
    // Visibility follows a moment later: list until the newest shows.
    const env = { ...process.env, TEMPORAL_ADDRESS: bench.address, TASK_QUEUE: taskQueue, NO_COLOR: '1' };
    await waitFor('visibility', async () =>
      (await run(process.execPath, [path.join(root, 'bin/incidentctl.js'), 'list'], { env })).stdout.includes(`${ids.at(-1)} `),
    );

    const time = async (label: string, argv: (i: number) => string[]) => {
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const [file, ...args] = argv(i);
        const started = performance.now();
        await run(file!, args, { env, cwd: root });
        ms.push(performance.now() - started);
      }
      return { label, p50: percentile(ms, 50) };
    };
    const node = process.execPath;
    const temporal = await resolveTemporalCli();
    const rows = [
      await time('node -e 0 (floor)', () => [node, '-e', '0']),
      await time('temporal workflow list (floor)', () => [temporal, 'workflow', 'list', '--address', bench.address, '--limit', '20']),
      await time('incidentctl list', () => [node, path.join(root, 'bin/incidentctl.js'), 'list']),
      await time('incidentctl show INC-n', (i) => [node, path.join(root, 'bin/incidentctl.js'), 'show', ids[i]!]),
      await time('incidentctl ack INC-n', (i) => [node, path.join(root, 'bin/incidentctl.js'), 'ack', ids[i]!, '--as', 'bench']),
      await time('list, compiled modules (no bundle)', () => [node, path.join(root, 'dist/client/cli/bin.js'), 'list']),
      await time('npx incidentctl list', () => ['npx', '--no-install', 'incidentctl', 'list']),
    ];
    const floor = rows[1]!.p50;
    console.log(`\nincidentctl from a shell, p50 of ${RUNS} runs each (one dev server, ${RUNS} open incidents):\n`);
    console.log('| Command | p50 (ms) | × temporal workflow list |');
    console.log('| --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.label} | ${Math.round(r.p50)} | ${(r.p50 / floor).toFixed(1)}× |`);
  } finally {
    await bench.close();
  }
}

main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
