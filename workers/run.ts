import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ensureDigestSchedule, ensureEndOfDaySchedule } from './digest-schedule';
import { ensureShiftNotices } from './shift-notices';
import { connectChat } from '../chat/connect';
import { Pool } from 'pg';
import { deploymentLinks, publicUrl, type AppConfig } from '../config/env';
import { temporalConnection } from '../config/temporal-connection';
import { dataConverter } from '../config/payload-keys';
import { approvalVerifyKey } from '../config/approval-keys';
import { createSmtpMailer } from '../adapters/mailer';
import { createTwilioMessenger } from '../adapters/twilio';
import { migrate } from '../store/migrations';
import { IncidentStore } from '../store/incident-store';
import { ReviewStore } from '../store/review-store';
import { loadPolicy } from '../policy/load';
import { withDeploymentLinks } from '../policy/links';
import { createIncidentWorker, workerTuning } from './create-worker';
import { createRunbookWorker } from './runbook-worker';
import { PROTECTED_APPLICATION_PREFIX, type DatabaseUrls } from '../runbook-host/activities';
import { runbookTaskQueue } from '../contract';

/**
 * The prebuilt workflow bundle: WORKFLOW_BUNDLE, else the one `npm run build` writes next to the compiled
 * code (dist/workflow-bundle.js). From TypeScript source there is none, and the worker bundles at start.
 */
function workflowBundlePath(config: AppConfig): string | undefined {
  if (config.WORKFLOW_BUNDLE) return config.WORKFLOW_BUNDLE;
  const built = path.resolve(__dirname, '../workflow-bundle.js');
  return __filename.endsWith('.js') && existsSync(built) ? built : undefined;
}

/** The default of STORE_APPLICATION_NAME. */
export const STORE_APPLICATION_NAME = `${PROTECTED_APPLICATION_PREFIX}-store`;

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has drained and every client is closed. */
  done: Promise<void>;
}

/** Connects the store, mailer and Temporal, then runs until SIGINT/SIGTERM (or worker.shutdown()). */
export async function startWorker(
  config: AppConfig & { DATABASE_URL: string },
  log: (line: string) => void = console.log,
  /** Also serve runbook steps for this host (npm start and npm run worker: RUNBOOK_HOST, when set). */
  runbooks?: { host: string; databases: Record<string, DatabaseUrls> },
): Promise<RunningWorker> {
  // Links in messages point where this deployment serves them (PUBLIC_URL, the Web UI), whatever the file says.
  const links = deploymentLinks(config);
  const policy = withDeploymentLinks(loadPolicy(config.POLICY_FILE), links);
  // The name marks the store's sessions: runbook steps that end sessions never end these.
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max: config.STORE_POOL_SIZE,
    application_name: config.STORE_APPLICATION_NAME,
  });
  // A session ended under an idle client (failover, restart, pg_terminate_backend) is dropped and
  // replaced on next use; activities that were using one fail and are retried by Temporal. Never a crash.
  pool.on('error', (error: Error & { code?: string }) =>
    log(`store: a database session was lost (${error.code ?? error.message}); reconnecting on next use`),
  );
  // A session lost while checked out (mid-transaction) fails its query; its client's event must not crash us.
  pool.on('connect', (client) => client.on('error', () => undefined));
  await migrate(pool);
  const mailer = config.SMTP_URL ? createSmtpMailer(config.SMTP_URL, config.MAIL_FROM) : undefined;
  const phone =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
      ? createTwilioMessenger({
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          from: config.TWILIO_FROM,
          apiBaseUrl: config.TWILIO_API_BASE_URL,
        })
      : undefined;
  if (!phone)
    log('WARNING: Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM): SMS and calls go to the outbox table.');
  const ackLinks = config.ACK_LINK_SECRET
    ? { secret: config.ACK_LINK_SECRET, publicUrl: publicUrl(config), ttlSeconds: config.ACK_LINK_TTL_SECONDS }
    : undefined;
  if (!mailer) log("WARNING: SMTP_URL is not set: pages and notifications go to the outbox table and the log, not to anyone's inbox.");

  const chat = connectChat(config, policy, log);

  const temporal = temporalConnection(config);
  const converter = dataConverter(config);
  const clientConnection = await Connection.connect(temporal);
  const scheduler = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: converter });
  await ensureDigestSchedule(scheduler, config.TASK_QUEUE, policy.review.digestCron);
  if (chat.connected) await ensureEndOfDaySchedule(scheduler, config.TASK_QUEUE, policy.chat.endOfDay);
  await ensureShiftNotices(scheduler, config.TASK_QUEUE, policy);
  await clientConnection.close();
  const connection = await NativeConnection.connect(temporal);
  const worker = await createIncidentWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    dataConverter: converter,
    deps: {
      store: new IncidentStore(pool),
      reviews: new ReviewStore(pool),
      mailer,
      phone,
      policy,
      ackLinks,
      links,
      identitySecret: config.IDENTITY_SECRET,
      chat: chat.platforms,
    },
    tuning: workerTuning(config),
    ...(workflowBundlePath(config) ? { workflowBundle: { codePath: workflowBundlePath(config)! } } : {}),
  });
  log(`Worker serving task queue "${config.TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (policy: ${policy.name})`);
  const hostWorker = runbooks
    ? await createRunbookWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        host: runbooks.host,
        dataConverter: converter,
        approvalKey: approvalVerifyKey(config),
        runbooks: policy.runbooks,
        databases: runbooks.databases,
        log,
      })
    : undefined;
  if (runbooks) log(`Runbook steps for host "${runbooks.host}" served on task queue "${runbookTaskQueue(runbooks.host)}"`);
  // Both stop together: a signal shuts each down, and the first to stop takes the other with it.
  const stopOther = (other: { getState(): string; shutdown(): void } | undefined) => () => {
    if (other && other.getState() === 'RUNNING') other.shutdown();
  };
  const done = Promise.all([worker.run().finally(stopOther(hostWorker)), hostWorker?.run().finally(stopOther(worker))]).finally(
    async () => {
      mailer?.close();
      await connection.close();
      await pool.end();
      await chat.close();
    },
  );
  return { worker, done: done.then(() => undefined) };
}
