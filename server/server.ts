import { randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { publicUrl, temporalUiUrl, type AppConfig } from '../config/env';
import { temporalConnection } from '../config/temporal-connection';
import { dataConverter } from '../config/payload-keys';
import { approvalSigningKey } from '../config/approval-keys';
import type { ResponsePolicy } from '../policy/schema';
import { Pool } from 'pg';
import { TokenStore } from '../security/identity';
import { createSmtpMailer } from '../adapters/mailer';
import { InboxStore } from '../store/inbox-store';
import { SubscriberStore } from '../store/subscribers';
import { OnCallStore } from '../store/oncall-store';
import { IntegrationStore } from '../store/integration-store';
import type { ChatRoutes } from '../chat/platform';
import { CHAT_PLATFORM_MODULES } from '../chat/registry';
import { buildApp } from './app';
import { startMailIn } from './mail-in';
import { offerAdminBootstrapInBackground } from './admin-bootstrap';
import { createStoreMetrics } from './store-metrics';
import type { WebhookAuth } from './auth';

/**
 * Credentials from the environment. Without any, a server refuses to start unless WEBHOOK_INSECURE
 * is set, except that `npm start` passes `generateTokenIn` to keep a generated token on disk.
 */
export function webhookAuth(config: AppConfig, generateTokenIn?: string): { auth: WebhookAuth; generatedTokenFile?: string } {
  if (config.WEBHOOK_TOKEN) return { auth: { kind: 'bearer', token: config.WEBHOOK_TOKEN } };
  if (config.WEBHOOK_USER && config.WEBHOOK_PASSWORD)
    return { auth: { kind: 'basic', user: config.WEBHOOK_USER, password: config.WEBHOOK_PASSWORD } };
  if (config.WEBHOOK_INSECURE) return { auth: { kind: 'insecure' } };
  if (generateTokenIn) {
    return {
      auth: { kind: 'bearer', token: persistedSecret(generateTokenIn, 'webhook-token') },
      generatedTokenFile: path.join(generateTokenIn, 'webhook-token'),
    };
  }
  throw new Error(
    'set WEBHOOK_TOKEN, or WEBHOOK_USER and WEBHOOK_PASSWORD, for the Alertmanager webhook (WEBHOOK_INSECURE=true for local development only)',
  );
}

/** A secret kept in DATA_DIR, made on first use: `npm start` works with no configuration. */
export function persistedSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The routes of every chat platform this server has credentials for. */
function chatRoutes(config: AppConfig, pool: Pool | undefined, approvalKey: KeyObject | undefined): ChatRoutes[] {
  return Object.values(CHAT_PLATFORM_MODULES).flatMap((platform) => platform.routes(config, pool, approvalKey) ?? []);
}

/** Where the Temporal Web UI is served from: the browser origins that may call the codec endpoint. */
function uiOrigins(config: AppConfig): string[] {
  const origin = new URL(temporalUiUrl(config)).origin;
  return [origin, origin.replace('//127.0.0.1:', '//localhost:')];
}

/** gRPC channel settings for clients that must notice Temporal's return at once. */
export const RECONNECT_QUICKLY = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 };

export async function startHttpServer(
  config: AppConfig,
  policy: ResponsePolicy,
  auth: WebhookAuth,
  log: (line: string) => void = console.log,
) {
  // Lazy: the server starts, and /readyz reports, even while Temporal is down.
  // Reconnect within a second once Temporal is back (gRPC's default backoff grows to minutes).
  const connection = Connection.lazy({ ...temporalConnection(config), channelArgs: RECONNECT_QUICKLY });
  const codec = dataConverter(config);
  const approvalKey = approvalSigningKey(config);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: codec });
  // Personal API tokens live in the store; without a database the API is off.
  const pool = config.DATABASE_URL
    ? new Pool({ connectionString: config.DATABASE_URL, max: 4, application_name: `${config.STORE_APPLICATION_NAME}-http` })
    : undefined;
  pool?.on('error', () => undefined); // a lost idle session is replaced on next use
  const tokens = pool && new TokenStore(pool);
  const oncall = pool && new OnCallStore(pool);
  const integrations = pool && new IntegrationStore(pool);
  // Confirmation emails of status page subscriptions go from here; updates go from the workers, through the ledger.
  const mailer = config.SMTP_URL ? createSmtpMailer(config.SMTP_URL, config.MAIL_FROM) : undefined;
  const app = buildApp({
    client,
    taskQueue: config.TASK_QUEUE,
    policy,
    auth,
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    temporalDeadlineMs: config.WEBHOOK_TEMPORAL_DEADLINE_MS,
    acknowledge: {
      ackSecret: config.ACK_LINK_SECRET,
      twilioAuthToken: config.TWILIO_AUTH_TOKEN,
      publicUrl: publicUrl(config),
      identitySecret: config.IDENTITY_SECRET,
    },
    api: { tokens, inbox: pool && new InboxStore(pool), integrations, identitySecret: config.IDENTITY_SECRET, approvalKey },
    ...(integrations ? { integrations } : {}),
    ...(oncall ? { hotline: { oncall } } : {}),
    subscriptions: { store: pool && new SubscriberStore(pool), mailer },
    chat: chatRoutes(config, pool, approvalKey),
    storeMetrics: pool && createStoreMetrics(pool),
    ...(oncall ? { calendarOverrides: oncall.overridesOn.bind(oncall) } : {}),
    metricsToken: config.METRICS_TOKEN,
    codec: { codec: codec.payloadCodecs![0]!, token: config.CODEC_TOKEN, uiOrigins: uiOrigins(config) },
    logger: { level: config.LOG_LEVEL },
    limits: {
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
      maxConnections: config.HTTP_MAX_CONNECTIONS,
      maxConnectionsPerAddress: config.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
    },
  });
  const url = await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  // Mail in (policy mailIn), beside the HTTP server: the same Temporal client and task queue.
  const mailIn =
    config.MAIL_IN_PORT === undefined
      ? undefined
      : await startMailIn({
          client,
          taskQueue: config.TASK_QUEUE,
          policy,
          ...(mailer ? { mailer } : {}),
          host: config.MAIL_IN_HOST ?? config.HTTP_HOST,
          port: config.MAIL_IN_PORT,
          log,
        });
  const bootstrap = tokens && config.IDENTITY_SECRET ? offerAdminBootstrapInBackground(tokens, policy, config.DATA_DIR, log) : undefined;
  return {
    url,
    /** Graceful: stops accepting, finishes in-flight requests, then closes the Temporal connection. */
    async close() {
      bootstrap?.stop();
      await mailIn?.close();
      await app.close();
      await connection.close();
      await pool?.end();
      mailer?.close();
    },
  };
}
