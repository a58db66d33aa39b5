import { NativeConnection, Worker } from '@temporalio/worker';
import { createRunbookActivities, type DatabaseUrls } from '../activities/runbook';
import { resolveExecutables } from '../activities/executables';
import type { RunbookPolicy } from '../policy/runbook-schema';
import { runbookTaskQueue } from '../contract';

export interface RunbookWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  host: string;
  runbooks: RunbookPolicy;
  /** Named databases for sql steps (RUNBOOK_DB_<NAME>, RUNBOOK_TERMINATE_DB_<NAME>). */
  databases: Record<string, DatabaseUrls>;
  /** Where secret values come from; only the names in runbooks.secretEnv are read. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** A worker that serves only runbook activities, on the task queue of one host, from its own policy (`runbooks`). */
export async function createRunbookWorker(options: RunbookWorkerOptions): Promise<Worker> {
  const { executables, missing } = resolveExecutables(options.runbooks.executables);
  const env = options.env ?? process.env;
  const secrets = Object.fromEntries(
    options.runbooks.secretEnv.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]!]),
  );
  const missingNames = Object.keys(missing);
  if (missingNames.length > 0)
    options.log?.(`Runbook host "${options.host}": not installed here, steps using them will fail: ${missingNames.join(', ')}`);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: runbookTaskQueue(options.host),
    // Heartbeats carry cancellation: a rejected or cancelled step must be killed within a second or two.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    activities: createRunbookActivities({
      host: options.host,
      runbooks: options.runbooks,
      executables,
      missing,
      secrets,
      databases: options.databases,
    }),
  });
}
