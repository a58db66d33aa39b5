// Worker entry point: `npm run worker` serves incidents (needs DATABASE_URL) and, when set, RUNBOOK_HOST's runbook steps;
// `npm run worker -- --runbook-host NAME` serves only the runbook steps of host NAME.
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { installWorkerRuntime } from './runtime';
import { loadConfig, runbookDatabases } from '../config/env';
import { temporalConnection } from '../config/temporal-connection';
import { dataConverter } from '../config/payload-keys';
import { approvalVerifyKey } from '../config/approval-keys';
import { loadPolicy } from '../policy/load';
import { runbookTaskQueue } from '../contract';
import { createRunbookWorker } from './runbook-worker';
import { startWorker } from './run';

async function main() {
  const { values } = parseArgs({ options: { 'runbook-host': { type: 'string' } } });
  const config = loadConfig();
  // One-line logs, and the SDK's own metrics (slots, pollers, schedule-to-start latency) for Prometheus, before any connection.
  installWorkerRuntime(config);
  const host = values['runbook-host'];
  if (host !== undefined) {
    try {
      loadConfig({ ...process.env, RUNBOOK_HOST: host });
    } catch {
      throw new Error(`--runbook-host ${JSON.stringify(host)}: expected a host name such as local or db-1`);
    }
    const policy = loadPolicy(config.POLICY_FILE);
    const connection = await NativeConnection.connect(temporalConnection(config));
    const worker = await createRunbookWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      host,
      dataConverter: dataConverter(config),
      approvalKey: approvalVerifyKey(config),
      runbooks: policy.runbooks,
      databases: runbookDatabases(),
      log: console.log,
    });
    console.log(`Runbook worker for host "${host}" serving task queue "${runbookTaskQueue(host)}"`);
    await worker.run();
    await connection.close();
    return;
  }
  if (!config.DATABASE_URL)
    throw new Error('DATABASE_URL must be set to run a standalone worker (npm start embeds a database when it is unset)');
  // Like npm start, it also serves the runbook steps of RUNBOOK_HOST when set (this machine's commands, on
  // purpose), unless runbook hosts are services of their own (WORKER_RUNBOOK_STEPS=off), holding their own secrets.
  const runbooks =
    config.WORKER_RUNBOOK_STEPS && config.RUNBOOK_HOST ? { host: config.RUNBOOK_HOST, databases: runbookDatabases() } : undefined;
  const { done } = await startWorker({ ...config, DATABASE_URL: config.DATABASE_URL }, console.log, runbooks);
  await done;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
