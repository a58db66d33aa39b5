import type { DatabaseUrls } from '../runbook-host/activities';
import { loadClientConfigProfile } from '@temporalio/envconfig';
import { z } from 'zod';
import type { DeploymentLinks } from '../policy/links';

const port = z.coerce.number().int().min(1).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .url()
        .refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), `must start with ${protocols.join(': or ')}:`)
        .optional(),
    )
    .optional();
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const envSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'expected host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('incidents'),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI: optionalText,
  /** mTLS to Temporal: the CA that signed the server's certificate, and this client's certificate and key (PEM files). */
  TEMPORAL_TLS_CA: optionalText,
  TEMPORAL_TLS_CERT: optionalText,
  TEMPORAL_TLS_KEY: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  /**
   * The keys every payload through Temporal is sealed with (AES-256-GCM): `id:base64` entries of 32
   * bytes, separated by commas; the first seals, all open (rotation). Or PAYLOAD_KEYS_FILE; else
   * DATA_DIR/payload-keys, which npm start generates. Every worker and client needs them.
   */
  PAYLOAD_KEYS: optionalText,
  PAYLOAD_KEYS_FILE: optionalText,
  /** An API key for Temporal servers that take one (implies TLS). */
  TEMPORAL_API_KEY: optionalText,
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  EMBEDDED_PG_PORT: port.default(54329),
  SMTP_URL: optionalUrl(['smtp', 'smtps']),
  TWILIO_ACCOUNT_SID: optionalText,
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_FROM: z
    .string()
    .trim()
    .regex(/^(\+[1-9]\d{6,14})?$/, 'expected an E.164 number such as +15550100000')
    .optional(),
  /** Another base URL for Twilio's REST API, e.g. a stand-in; leave unset in production. */
  TWILIO_API_BASE_URL: optionalUrl(['http', 'https']),
  MAIL_FROM: z.string().min(3).default('Incident Orchestrator <incidents@localhost>'),
  POLICY_FILE: optionalText,
  DATA_DIR: z.string().min(1).default('.data'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  /** Mail in (policy mailIn): the HTTP server also listens for mail here. Unset: no mail in. */
  MAIL_IN_PORT: port.optional(),
  MAIL_IN_HOST: z.string().min(1).optional(),
  WEBHOOK_TOKEN: optionalText,
  WEBHOOK_USER: optionalText,
  WEBHOOK_PASSWORD: optionalText,
  /** Local development only: accept webhook posts without credentials. */
  WEBHOOK_INSECURE: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  WEBHOOK_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  WEBHOOK_TEMPORAL_DEADLINE_MS: z.coerce.number().int().min(100).default(5000),
  /** Where people and Twilio reach the HTTP server; acknowledge links and Twilio signatures use it. */
  PUBLIC_URL: optionalUrl(['http', 'https']),
  /** Signs acknowledge links in emails; npm start generates one into DATA_DIR when unset. */
  ACK_LINK_SECRET: optionalText,
  /**
   * Shared by the HTTP server (which signs who acts, once verified) and the workers (which check it);
   * npm start generates one into DATA_DIR when unset. Without it, every action is recorded unverified.
   */
  IDENTITY_SECRET: optionalText,
  /**
   * Approvals that runbook hosts check themselves (Ed25519, base64 DER): HTTP servers hold the signing
   * key (PKCS#8) and sign for verified approvers; runbook hosts hold only the verifying key (SPKI) and
   * run no approval-gated step without a grant it verifies. npm start generates a pair into DATA_DIR.
   */
  APPROVAL_SIGNING_KEY: optionalText,
  APPROVAL_VERIFY_KEY: optionalText,
  /** Bearer token of the codec endpoint (/codec) that lets the Temporal Web UI and CLI show sealed payloads; off without it. */
  CODEC_TOKEN: optionalText,
  /** Slack: the bot's token (xoxb-…) and the app's signing secret; without them Slack is off. */
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  /** Slack's Web API base URL (the client's slackApiUrl); set only to reach a stand-in. */
  SLACK_API_URL: optionalUrl(['http', 'https']),
  /** Where incident links in Slack open the Temporal Web UI; default: the local UI port. */
  TEMPORAL_UI_URL: optionalUrl(['http', 'https']),
  /** incidentctl: the HTTP server's URL; with INCIDENT_TOKEN, actions go through its API as the token's person. */
  INCIDENT_API_URL: optionalUrl(['http', 'https']),
  /** incidentctl: a personal API token (`incidentctl token create`). */
  INCIDENT_TOKEN: optionalText,
  ACK_LINK_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600),
  /**
   * The host whose runbook steps `npm start` and `npm run worker` also serve (task queue runbook-<host>),
   * e.g. local. Unset: no command runs on this machine; a runbook's steps wait for a host that serves them.
   */
  RUNBOOK_HOST: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, 'a host name such as local or db-1')
    .optional(),
  /** A worker also serves RUNBOOK_HOST's runbook steps (on); off where runbook hosts are services of their own. */
  WORKER_RUNBOOK_STEPS: z
    .enum(['on', 'off', 'true', 'false', '1', '0'])
    .default('on')
    .transform((v) => v === 'on' || v === 'true' || v === '1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** host:port where a worker serves its Temporal SDK metrics (task slots, poll latency, schedule-to-start) for Prometheus. */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[\w.:[\]-]+:\d{1,5}$/, 'host:port, e.g. 0.0.0.0:9464')
    .optional(),
  /** A workflow bundle built beforehand (bundleWorkflowCode's code, as a file): the worker starts without bundling. */
  WORKFLOW_BUNDLE: optionalText,
  // Worker tuning for bursts of incidents (docs/production.md, "Worker tuning", says how each default was chosen).
  /** Workflow tasks one worker runs at once (each takes a few ms of CPU; most of a task's time is the server round trip). */
  WORKER_WORKFLOW_SLOTS: z.coerce.number().int().min(2).max(2000).default(200),
  /** Threads running workflow code (each with its own reusable V8 context); workflow tasks are CPU-bound in a burst. */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).default(2),
  /** Workflow-task polls open at once, half on the shared queue (new incidents), half on this worker's sticky queue. */
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().min(2).max(200).default(20),
  /** Activities (deliveries, mostly waiting on SMTP or Twilio) one worker runs at once. */
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(5000).default(400),
  /** Activity-task polls open at once. */
  WORKER_ACTIVITY_POLLERS: z.coerce.number().int().min(2).max(200).default(20),
  /** Store reads and writes the worker runs inside workflow tasks (local activities) at once. */
  WORKER_LOCAL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(5000).default(200),
  /** Incidents kept in the worker's cache (about 0.5 MB each); an evicted one is replayed from history on its next task. */
  WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(2000),
  /** How long a cached incident's task waits for this worker before any worker may take it (and replay). */
  WORKER_STICKY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** PostgreSQL sessions of one worker's store pool. */
  STORE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  /** The store's PostgreSQL application_name; runbook steps that end sessions spare every incident-orchestrator* name. */
  STORE_APPLICATION_NAME: z
    .string()
    .regex(/^incident-orchestrator[\w.-]{0,40}$/, 'must start with incident-orchestrator (runbook steps spare those sessions)')
    .default('incident-orchestrator-store'),
  /** Bearer token Prometheus sends to scrape /metrics; npm start generates one into DATA_DIR when unset. */
  METRICS_TOKEN: optionalText,
  /** A request (headers and body) not received within this is cut with 408. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(512),
  /** Open connections one client address may hold (behind a proxy, the proxy is one address: raise it there). */
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(128),
});

export type AppConfig = z.infer<typeof envSchema>;

/** Where this deployment's links point: the HTTP server and the Temporal Web UI (see policy/links.ts). */
export const deploymentLinks = (config: AppConfig): DeploymentLinks => ({
  publicUrl: publicUrl(config),
  temporalUi: temporalUiUrl(config),
  namespace: config.TEMPORAL_NAMESPACE,
});
export const temporalUiUrl = (config: AppConfig) => config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;

export const publicUrl = (config: AppConfig) => config.PUBLIC_URL ?? `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Temporal's own environment configuration (a TOML profile from TEMPORAL_CONFIG_FILE or the default path,
 * TEMPORAL_PROFILE, TEMPORAL_TLS_CLIENT_CERT_PATH and the other standard variables) as defaults for ours:
 * the same build runs against a self-hosted cluster or Temporal Cloud with the settings the Temporal CLI uses.
 */
function temporalProfileDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  const strings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  let profile: ReturnType<typeof loadClientConfigProfile>;
  try {
    profile = loadClientConfigProfile({
      overrideEnvVars: strings,
      ...(strings.TEMPORAL_PROFILE ? { profile: strings.TEMPORAL_PROFILE } : {}),
    });
  } catch (error) {
    throw new ConfigError(`invalid environment:\n  - TEMPORAL_CONFIG_FILE: ${(error as Error).message.split('\n')[0]}`);
  }
  const path = (source?: { path: string } | { data: string | Uint8Array }) => (source && 'path' in source ? source.path : undefined);
  const defaults: Record<string, string | undefined> = {
    TEMPORAL_ADDRESS: profile.address,
    TEMPORAL_NAMESPACE: profile.namespace,
    TEMPORAL_API_KEY: profile.apiKey,
    TEMPORAL_TLS_CA: path(profile.tls?.serverCACert),
    TEMPORAL_TLS_CERT: path(profile.tls?.clientCert),
    TEMPORAL_TLS_KEY: path(profile.tls?.clientKey),
    TEMPORAL_TLS_SERVER_NAME: profile.tls?.serverName,
  };
  return Object.fromEntries(Object.entries(defaults).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Reads the environment once; a missing or invalid variable is named in the error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const result = envSchema
    .refine((c) => [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM].filter(Boolean).length % 3 === 0, {
      path: ['TWILIO_FROM'],
      message: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are set together',
    })
    .refine((c) => Boolean(c.TEMPORAL_TLS_CERT) === Boolean(c.TEMPORAL_TLS_KEY), {
      path: ['TEMPORAL_TLS_KEY'],
      message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set together',
    })
    .refine((c) => Boolean(c.SLACK_BOT_TOKEN) === Boolean(c.SLACK_SIGNING_SECRET), {
      path: ['SLACK_SIGNING_SECRET'],
      message: 'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set together',
    })
    .refine((c) => Boolean(c.WEBHOOK_USER) === Boolean(c.WEBHOOK_PASSWORD), {
      path: ['WEBHOOK_PASSWORD'],
      message: 'WEBHOOK_USER and WEBHOOK_PASSWORD are set together',
    })
    .safeParse({ ...temporalProfileDefaults(env), ...env });
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

const RUNBOOK_DB = /^RUNBOOK_(TERMINATE_)?DB_([A-Z0-9_]+)$/;

/**
 * Databases for runbook sql steps: RUNBOOK_DB_APP=postgres://... serves the diagnostics of steps with
 * `database: "app"`, RUNBOOK_TERMINATE_DB_APP their terminate-backends steps, each with its own role.
 */
export function runbookDatabases(env: NodeJS.ProcessEnv = process.env): Record<string, DatabaseUrls> {
  const databases: Record<string, DatabaseUrls> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const match = RUNBOOK_DB.exec(key);
    if (!match || value === undefined || value.trim() === '') continue;
    const url = z
      .url()
      .refine((v) => /^postgres(ql)?:/.test(v), 'must start with postgres: or postgresql:')
      .safeParse(value.trim());
    if (!url.success) problems.push(`  - ${key}: ${url.error.issues[0]!.message}`);
    else (databases[match[2]!.toLowerCase().replace(/_/g, '-')] ??= {})[match[1] ? 'terminate' : 'query'] = url.data;
  }
  if (problems.length) throw new ConfigError(`invalid environment:\n${problems.join('\n')}`);
  return databases;
}
