import type { Client } from '@temporalio/client';
import http from 'node:http';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { pageRegistry } from '../activities/metrics';
import type { ResponsePolicy } from '../policy/schema';
import { compileRoutes } from '../policy/teams';
import { INTAKE_SOURCES } from './intake/registry';
import type { IntakeContext } from './intake/source';
import { integrationKeys } from './intake/integration-keys';
import type { IntegrationStore } from '../store/integration-store';
import type { OnCallStore } from '../store/oncall-store';
import { registerHotlineRoutes } from './hotline';
import { registerApiRoutes, type ApiDeps } from './api';
import { registerCalendarRoutes } from './calendar';
import type { ShiftOverride } from '../policy/schedules';
import type { ChatRoutes } from '../chat/platform';
import { registerAcknowledgeRoutes, type AcknowledgeRoutesDeps } from './acknowledge';
import { authorized, type WebhookAuth } from './auth';
import { registerStatusRoutes, type SubscriptionDeps } from './status-page/routes';
import { createMetrics, type Metrics } from './metrics';
import { redactCodecPath, registerCodecRoutes, type CodecRoutesDeps } from './codec';

export interface AppDeps {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  auth: WebhookAuth;
  /** Alertmanager bodies over this many bytes get 413. */
  bodyLimit?: number;
  /** Past this, a slow or unreachable Temporal gets 503 so Alertmanager retries. */
  temporalDeadlineMs?: number;
  metrics?: Metrics;
  /** Structured request logs (pino); secrets in URLs are redacted. */
  logger?: boolean | { level?: string; stream?: { write(line: string): void } };
  /** Store-derived metrics (open incidents, outbox, breaches, time to acknowledge and resolve), read at scrape time. */
  storeMetrics?: Registry;
  /** Bearer token for /metrics; without one /metrics is off (404). */
  metricsToken?: string;
  limits?: HttpLimits;
  /** Acknowledge links and SMS replies; see registerAcknowledgeRoutes. */
  acknowledge?: Omit<AcknowledgeRoutesDeps, 'client' | 'policy'>;
  /** Status page subscriptions (store and mailer; links are signed with the acknowledge-link secret). */
  subscriptions?: Pick<SubscriptionDeps, 'store' | 'mailer'>;
  /** Each connected chat platform's routes (chat/registry.ts); a platform that is off has none (404). */
  chat?: ChatRoutes[];
  /** The codec endpoint for the Temporal Web UI and CLI; see registerCodecRoutes. */
  codec?: CodecRoutesDeps;
  /** Overrides per schedule for the calendar feeds (the store's); without them feeds show the layers alone. */
  calendarOverrides?: (scheduleIds: string[], fromMs: number, toMs: number) => Promise<Record<string, ShiftOverride[]>>;
  /** The Emergency Hotline's Twilio callbacks (policy hotline), with the store's on-call. */
  hotline?: { oncall: OnCallStore };
  /** Integrations and their keys (the Events API); without them /v2/enqueue answers 503. */
  integrations?: IntegrationStore;
  /** The authenticated API for incidentctl; see registerApiRoutes. */
  api?: Omit<ApiDeps, 'client' | 'policy' | 'taskQueue'>;
}

/** What a stranger can hold: time to send a whole request, idle sockets, open connections. */
export interface HttpLimits {
  /** A request (headers and body) not received within this is cut with 408. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections close after this. */
  keepAliveTimeoutMs?: number;
  maxConnections?: number;
  /** Open connections one client address may hold: one stranger cannot take every connection. */
  maxConnectionsPerAddress?: number;
}

export const DEFAULT_LIMITS: Required<HttpLimits> = {
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxConnectionsPerAddress: 128,
};
/** Bodies of routes that take no large input: the SMS webhook, and anything sent where none is expected. */
const SMALL_BODY_LIMIT = 16 * 1024;

class TemporalDeadline extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalDeadline(`Temporal did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Temporal's health as the webhook last saw it. After a failure, requests answer 503 at once instead of
 * each waiting out a deadline against a server that is down or recovering; one probe at most every
 * `probeEveryMs` finds it back, so the webhook is ready again within about that long.
 */
export class TemporalBreaker {
  private down = false;
  private lastProbe = 0;
  private probing: Promise<boolean> | undefined;
  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly probeEveryMs = 250,
  ) {}
  /** Whether to try Temporal now. */
  async allow(): Promise<boolean> {
    if (!this.down) return true;
    if (this.probing) return this.probing;
    if (Date.now() - this.lastProbe < this.probeEveryMs) return false;
    this.lastProbe = Date.now();
    this.probing = this.probe()
      .then(
        () => {
          this.down = false;
          return true;
        },
        () => false,
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }
  failed(): void {
    this.down = true;
    this.lastProbe = Date.now();
  }
}

/** Request URLs as logged: acknowledge tokens are credentials. */
export const loggedUrl = (url: string) =>
  redactCodecPath(
    url
      .replace(/^\/ack\/[^/?#]+/, '/ack/[redacted]')
      // Heartbeat and integration URLs are their keys; a page call's key URL carries an acknowledge token.
      .replace(/^\/(heartbeat|integrations|twilio\/voice\/keys)\/[^/?#]+/, '/$1/[redacted]')
      // Confirmation and unsubscribe links never expire: they are credentials too.
      .replace(/^\/status\/subscriptions\/([a-z]+)\/[^/?#]+/, '/status/subscriptions/$1/[redacted]'),
  );

/** The HTTP app, without listening: tests inject requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const metrics = deps.metrics ?? createMetrics();
  const deadlineMs = deps.temporalDeadlineMs ?? 5_000;
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  // Routes parsed once: every alert group goes through them.
  const routes = compileRoutes(deps.policy);
  // The abort cancels the gRPC call and its retries, so a timed-out request leaves nothing running;
  // the race is a backstop that bounds the answer time regardless.
  const temporalCall = <T>(fn: () => Promise<T>, ms = deadlineMs) =>
    withDeadline(deps.client.withAbortSignal(AbortSignal.timeout(ms), fn), ms + 250);
  const breaker = new TemporalBreaker(() => temporalCall(() => deps.client.workflowService.getSystemInfo({}), 500));
  const logger =
    deps.logger === undefined || deps.logger === false
      ? false
      : {
          ...(deps.logger === true ? {} : deps.logger),
          serializers: {
            req: (req: { method: string; url: string; ip?: string }) => ({
              method: req.method,
              url: loggedUrl(req.url),
              remoteAddress: req.ip,
            }),
          },
        };
  const app = Fastify({
    bodyLimit: SMALL_BODY_LIMIT,
    logger,
    return503OnClosing: true,
    // maxParamLength: signed acknowledge links are longer than fastify's default of 100.
    routerOptions: { maxParamLength: 2000 },
    // Node checks request timeouts on this interval (30 s by default): a slow body is cut close to its deadline.
    serverFactory: (handler) => {
      const server = http.createServer(
        { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: 500 },
        handler,
      );
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.maxConnections = limits.maxConnections;
      const perAddress = new Map<string, number>();
      server.on('connection', (socket) => {
        const address = socket.remoteAddress ?? '';
        const open = (perAddress.get(address) ?? 0) + 1;
        if (open > limits.maxConnectionsPerAddress) {
          socket.destroy();
          return;
        }
        perAddress.set(address, open);
        socket.once('close', () => {
          const left = (perAddress.get(address) ?? 1) - 1;
          if (left > 0) perAddress.set(address, left);
          else perAddress.delete(address);
        });
      });
      return server;
    },
  });

  // No body is parsed unless its route expects one: the webhook JSON, Twilio's form.
  app.removeAllContentTypeParsers();

  // Security headers on every answer; pages carry no scripts and are never framed.
  void app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: false,
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    done();
  });

  // The one error handler: bad input is a 4xx that names the problem; nothing else leaks a stack.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'body too large' });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: error.message });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return reply.code(400).send({ error: error.message });
    app.log.error(error);
    return reply.code(503).send({ error: 'temporarily unable to accept alerts; retry' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${loggedUrl(request.url)}` }));

  app.get('/healthz', () => ({ status: 'ok' }));

  registerStatusRoutes(app, deps.client, deps.policy, deps.taskQueue, deps.acknowledge?.publicUrl, {
    ...deps.subscriptions,
    secret: deps.acknowledge?.ackSecret,
    publicUrl: deps.acknowledge?.publicUrl,
  });
  void app.register((scope, _opts, next) => {
    // Twilio posts forms, nothing else.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    registerAcknowledgeRoutes(scope, { client: deps.client, policy: deps.policy, publicUrl: 'http://127.0.0.1', ...deps.acknowledge });
    if (deps.hotline)
      registerHotlineRoutes(scope, {
        client: deps.client,
        taskQueue: deps.taskQueue,
        policy: deps.policy,
        oncall: deps.hotline.oncall,
        twilioAuthToken: deps.acknowledge?.twilioAuthToken,
        publicUrl: deps.acknowledge?.publicUrl ?? 'http://127.0.0.1',
      });
    next();
  });

  registerApiRoutes(app, {
    client: deps.client,
    policy: deps.policy,
    taskQueue: deps.taskQueue,
    publicUrl: deps.acknowledge?.publicUrl,
    ...deps.api,
  });
  registerCalendarRoutes(app, {
    policy: deps.policy,
    identitySecret: deps.api?.identitySecret,
    ...(deps.calendarOverrides ? { overrides: deps.calendarOverrides } : {}),
  });
  if (deps.codec) registerCodecRoutes(app, deps.codec);
  for (const routes of deps.chat ?? []) routes(app, { client: deps.client, policy: deps.policy, taskQueue: deps.taskQueue });

  // Answers within a second either way.
  app.get('/readyz', async (_request, reply) => {
    try {
      await temporalCall(() => deps.client.workflowService.getSystemInfo({}), 500);
      metrics.temporalUp.set(1);
      return { status: 'ready' };
    } catch (error) {
      metrics.temporalUp.set(0);
      breaker.failed();
      return reply.code(503).send({ status: 'unavailable', error: (error as Error).message });
    }
  });

  app.get('/metrics', async (request, reply) => {
    if (!deps.metricsToken) return reply.code(404).send({ error: 'metrics are off: set METRICS_TOKEN' });
    if (!authorized({ kind: 'bearer', token: deps.metricsToken }, request.headers.authorization))
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or bad credentials' });
    // Paging metrics live where pages are sent; merged here when the worker shares this process.
    const merged = Registry.merge([metrics.registry, pageRegistry, ...(deps.storeMetrics ? [deps.storeMetrics] : [])]);
    try {
      return await reply.type(merged.contentType).send(await merged.metrics());
    } catch (error) {
      // The store is down: serve what this process knows, and say so in the log.
      request.log.warn({ err: error }, 'store metrics unavailable');
      const own = Registry.merge([metrics.registry, pageRegistry]);
      return reply.type(own.contentType).send(await own.metrics());
    }
  });

  // Monitors raising incidents: each intake source's routes (intake/registry.ts).
  const intake: IntakeContext = {
    client: deps.client,
    taskQueue: deps.taskQueue,
    policy: deps.policy,
    routes,
    metrics,
    auth: deps.auth,
    bodyLimit,
    ...(deps.integrations ? { checkKey: integrationKeys(deps.integrations) } : {}),
    ...(deps.api?.identitySecret ? { identitySecret: deps.api.identitySecret } : {}),
    async intoTemporal(reply, what, fn) {
      if (!(await breaker.allow())) {
        await reply.code(503).header('retry-after', '1').send({ error: 'Temporal is unavailable; retry' });
        return undefined;
      }
      try {
        const result = await temporalCall(fn);
        metrics.temporalUp.set(1);
        return result;
      } catch (error) {
        metrics.temporalUp.set(0);
        breaker.failed();
        reply.log.warn({ err: error }, `Temporal did not accept ${what}`);
        await reply
          .code(503)
          .header('retry-after', '1')
          .send({ error: `Temporal did not accept ${what}: ${(error as Error).message}` });
        return undefined;
      }
    },
  };
  for (const source of Object.values(INTAKE_SOURCES)) source.register(app, intake);

  return app;
}
