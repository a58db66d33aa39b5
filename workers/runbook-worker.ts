import type { KeyObject } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createRunbookActivities, type DatabaseUrls } from '../runbook-host/activities';
import { resolveExecutables } from '../runbook-host/executables';
import type { RunbookPolicy } from '../policy/runbook-schema';
import { runbookTaskQueue } from '../contract';

export interface RunbookWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  host: string;
  /** Seals and opens payloads: the host reads its steps' inputs only with the payload key. */
  dataConverter: DataConverter;
  runbooks: RunbookPolicy;
  /** Named databases for sql steps (RUNBOOK_DB_<NAME>, RUNBOOK_TERMINATE_DB_<NAME>). */
  databases: Record<string, DatabaseUrls>;
  /** APPROVAL_VERIFY_KEY: approvals of gated steps are checked with it (security/approval-grant.ts). */
  approvalKey?: KeyObject;
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
    dataConverter: options.dataConverter,
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
      approvalKey: options.approvalKey,
      log: options.log,
    }),
  });
}
