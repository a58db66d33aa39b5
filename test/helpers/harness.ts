import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import type { AckLinkSettings } from '../../security/ack-links';
import { createSmtpMailer } from '../../adapters/mailer';
import { createTwilioMessenger } from '../../adapters/twilio';
import { TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, startTwilioStandin, type TwilioStandin } from '../../dev/twilio-standin';
import { startSmtp, type TestSmtp } from '../../dev/smtp-sink';
import { IncidentStore } from '../../store/incident-store';
import { createStoreSchema, type StoreSchema } from './store-schema';
import { ChatLedger } from '../../chat/slack/ledger';
import { createSlackClient } from '../../chat/slack/client';
import { createSlackActivities } from '../../chat/slack/activities';
import { SLACK_STANDIN_TOKEN } from '../../dev/slack-standin';
import { ReviewStore } from '../../store/review-store';
import defaultPolicy from '../../policy/default-policy.json';
import { parsePolicy } from '../../policy/load';
import type { PolicyInput, ResponsePolicy } from '../../policy/schema';
import { createIncidentWorker } from '../../workers/create-worker';
import { STORE_APPLICATION_NAME } from '../../workers/run';
import { INCIDENT_WORKFLOW_TYPE, stateQuery, type IncidentInput, type IncidentState } from '../../contract';
import { ephemeralDataConverter } from '../../dev/ephemeral-payload-key';
import { signingKey, verifyKey } from '../../security/approval-grant';

/** The plan's policy with durations shrunk to seconds. Durations are data. */
export function testPolicy(overrides: Partial<PolicyInput> = {}): ResponsePolicy {
  const base = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
  // Email only unless a test asks for phone channels.
  base.severities.P0 = { ...base.severities.P0, ackSla: '0s', statusUpdateEvery: '30s', channels: ['email'] };
  base.severities.P1 = { ...base.severities.P1, ackSla: '3s', statusUpdateEvery: '30s', channels: ['email'] };
  base.severities.P2 = { ...base.severities.P2, ackSla: '6s', statusUpdateEvery: '60s', channels: ['email'] };
  base.severities.P3 = { ...base.severities.P3, ackSla: '120s', channels: ['email'] };
  base.phaseBudgets = { detect: '60s', triage: '90s', contain: '120s', investigate: '180s', resolve: '240s' };
  base.escalation.levels = base.escalation.levels.map((level, i) => ({ ...level, after: `${i * 3}s` }));
  base.escalation.repeat = { times: 1, interval: '4s' };
  // Reviews opened by other tests stay quiet; the review tests shrink these further.
  base.review = { ...base.review!, firstReminder: '60s', due: '120s', overdueEvery: '60s' };
  // Flows other than identity act unverified (`by` as written); test/verified-identity.test.ts runs the shipped rules.
  base.identity = { require: [] };
  // Runbooks run real commands: only the runbook tests turn them on.
  base.runbooks = { ...base.runbooks!, definitions: [] };
  return parsePolicy({ ...base, ...overrides }, 'test policy');
}

export interface TestEnv {
  address: string;
  client: Client;
  native: NativeConnection;
  pool: Pool;
  store: IncidentStore;
  reviews: ReviewStore;
  close(): Promise<void>;
}

/** A store schema of its own (migrated), for suites that change what every incident sees, e.g. on-call overrides. */
function isolatedStoreUrl(): Promise<StoreSchema> {
  return createStoreSchema(process.env.TEST_DB_URL!, `iso_${randomUUID().replace(/-/g, '').slice(0, 16)}`, (pool) =>
    // Incident ids stay unique across the run's schemas: the CLI finds INC-<n> through Temporal's visibility.
    pool.query(`SELECT setval(pg_get_serial_sequence('incidents', 'number'), $1)`, [
      100_000_000 + Math.floor(Math.random() * 1_000_000) * 100,
    ]),
  );
}

export async function openTestEnv(options: { isolatedStore?: boolean } = {}): Promise<TestEnv> {
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const isolated = options.isolatedStore ? await isolatedStoreUrl() : undefined;
  // Named like the worker's store pool: runbook steps that end sessions must spare it.
  const pool = new Pool({ connectionString: isolated?.url ?? process.env.TEST_DB_URL, max: 5, application_name: STORE_APPLICATION_NAME });
  // Fault tests end store sessions, these included.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    address,
    client: new Client({ connection, dataConverter: ephemeralDataConverter() }),
    native,
    pool,
    store: new IncidentStore(pool),
    reviews: new ReviewStore(pool),
    async close() {
      await connection.close();
      await native.close();
      await pool.end();
      await isolated?.drop();
    },
  };
}

/** The run's approval keys (global setup): test HTTP servers sign approvals with one, runbook hosts check with the other. */
export const testApprovalKeys = () => ({
  signing: signingKey(process.env.APPROVAL_SIGNING_KEY!),
  verify: verifyKey(process.env.APPROVAL_VERIFY_KEY!),
});

/** The secret the test HTTP server signs proofs of identity with, and test workers check them with. */
export const TEST_IDENTITY_SECRET = 'identity-test-secret';

export const uniqueQueue = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;

let bundleCode: string | undefined;
export function workflowBundle() {
  bundleCode ??= readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8');
  return { code: bundleCode };
}

export interface RunningTestWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function startTestWorker(
  env: TestEnv,
  options: {
    taskQueue: string;
    policy: ResponsePolicy;
    smtpUrl?: string;
    twilioUrl?: string;
    outboxAfterAttempts?: number;
    ackLinks?: AckLinkSettings;
    /** The Slack stand-in's API URL: the worker's real WebClient talks to it (incidents get a chat lane). */
    slackApiUrl?: string;
  },
): Promise<RunningTestWorker> {
  const mailer = options.smtpUrl ? createSmtpMailer(options.smtpUrl, 'incidents@test.local') : undefined;
  // The real twilio client, pointed at the stand-in through its own api.baseUrl hook.
  const phone = options.twilioUrl
    ? createTwilioMessenger({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: TWILIO_FROM, apiBaseUrl: options.twilioUrl })
    : undefined;
  const worker = await createIncidentWorker({
    dataConverter: ephemeralDataConverter(),
    connection: env.native,
    namespace: 'default',
    taskQueue: options.taskQueue,
    workflowBundle: workflowBundle(),
    // TEST_WORKFLOW_CACHE=off: every workflow task is a full replay; a task that fails on replay shows in history.
    ...(process.env.TEST_WORKFLOW_CACHE === 'off' ? { maxCachedWorkflows: 0 } : {}),
    deps: {
      store: env.store,
      reviews: env.reviews,
      mailer,
      phone,
      policy: options.policy,
      outboxAfterAttempts: options.outboxAfterAttempts,
      ackLinks: options.ackLinks,
      identitySecret: TEST_IDENTITY_SECRET,
      chat: options.slackApiUrl
        ? {
            slack: {
              ...createSlackActivities({
                slack: createSlackClient({ botToken: SLACK_STANDIN_TOKEN, apiUrl: options.slackApiUrl }),
                ledger: new ChatLedger(env.pool),
                slackPolicy: options.policy.chat.slack,
                links: { temporalUi: 'http://127.0.0.1:8233', namespace: 'default' },
              }),
              close: () => Promise.resolve(),
            },
          }
        : undefined,
    },
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      mailer?.close();
    },
  };
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    // An empty list is "not yet", like undefined or false.
    if (value && !(Array.isArray(value) && value.length === 0)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function declareIncident(
  env: TestEnv,
  taskQueue: string,
  input: Partial<IncidentInput> & { policy: ResponsePolicy },
): Promise<{ handle: WorkflowHandle; state: IncidentState }> {
  const handle = await env.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId: `incident-test-${randomUUID()}`,
    taskQueue,
    // As incidentctl and the webhook do: the title in the memo, for lists and the status page.
    memo: { title: input.title ?? 'Checkout API errors' },
    args: [
      {
        title: 'Checkout API errors',
        severity: 'P1',
        service: 'checkout',
        source: 'manual',
        declaredBy: 'tester',
        ...input,
      } satisfies IncidentInput,
    ],
  });
  const state = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s?.incidentId ? s : undefined;
  }, 'incident registration');
  return { handle, state };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HarnessOptions {
  /** Names the task queue (made unique per run). */
  name: string;
  policy?: ResponsePolicy;
  /** An in-process SMTP server the worker mails to (default on). */
  smtp?: boolean;
  /** The Twilio stand-in the worker's twilio client talks to. */
  twilio?: boolean;
  /** Start a worker on the harness's queue (default on), with extra worker options. */
  worker?: boolean | Partial<Parameters<typeof startTestWorker>[1]>;
  /** A store schema of its own, for suites that change what every incident sees (on-call overrides). */
  isolatedStore?: boolean;
  /** Runs first at teardown, while the store and worker are still there (e.g. to remove shared rows). */
  beforeTeardown?: (h: IncidentHarness) => Promise<void>;
}

export interface IncidentHarness {
  env: TestEnv;
  smtp: TestSmtp;
  twilio: TwilioStandin;
  worker: RunningTestWorker;
  taskQueue: string;
  policy: ResponsePolicy;
}

/**
 * The set-up every flow test shares, registered as beforeAll/afterAll: a Temporal client and store
 * on the run's server and schema, an SMTP sink, optionally the Twilio stand-in, and a worker on a
 * queue of its own. Everything is torn down in reverse order, also after a failed set-up.
 */
export function useIncidentHarness(options: HarnessOptions): IncidentHarness {
  const h = { taskQueue: uniqueQueue(options.name), policy: options.policy ?? testPolicy() } as IncidentHarness;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    h.env = await openTestEnv({ isolatedStore: options.isolatedStore });
    cleanups.push(() => h.env.close());
    if (options.smtp !== false) {
      h.smtp = await startSmtp();
      cleanups.push(() => h.smtp.close());
    }
    if (options.twilio) {
      h.twilio = await startTwilioStandin();
      cleanups.push(() => h.twilio.close());
    }
    if (options.worker !== false) {
      const extra = typeof options.worker === 'object' ? options.worker : {};
      h.worker = await startTestWorker(h.env, {
        taskQueue: h.taskQueue,
        policy: h.policy,
        smtpUrl: h.smtp?.url,
        twilioUrl: h.twilio?.url,
        ...extra,
      });
      cleanups.push(() => h.worker.stop());
    }
  });
  afterAll(async () => {
    if (h.env && options.beforeTeardown) await options.beforeTeardown(h);
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return h;
}
