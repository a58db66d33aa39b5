import type { Client } from '@temporalio/client';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { pageRegistry } from '../../activities/metrics';
import type { ResponsePolicy } from '../../policy/schema';
import { ingestGroup } from '../webhook/ingest';
import { mapGroup } from '../webhook/mapping';
import { parseWebhookPayload } from '../webhook/payload';
import { registerAcknowledgeRoutes, type AcknowledgeRoutesDeps } from './acknowledge';
import { authorized, type WebhookAuth } from './auth';
import { registerStatusRoutes } from './status-page';
import { createMetrics, type Metrics } from './metrics';

export interface AppDeps {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  auth: WebhookAuth;
  /** Bodies over this many bytes get 413. */
  bodyLimit?: number;
  /** Past this, a slow or unreachable Temporal gets 503 so Alertmanager retries. */
  temporalDeadlineMs?: number;
  metrics?: Metrics;
  logger?: boolean;
  /** Acknowledge links and SMS replies; see registerAcknowledgeRoutes. */
  acknowledge?: Omit<AcknowledgeRoutesDeps, 'client' | 'policy'>;
}

class TemporalDeadline extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalDeadline(`Temporal did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The HTTP app, without listening: tests inject requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const metrics = deps.metrics ?? createMetrics();
  const deadlineMs = deps.temporalDeadlineMs ?? 5_000;
  // The abort cancels the gRPC call and its retries, so a timed-out request leaves nothing running;
  // the race is a backstop that bounds the answer time regardless.
  const temporalCall = <T>(fn: () => Promise<T>) =>
    withDeadline(deps.client.withAbortSignal(AbortSignal.timeout(deadlineMs), fn), deadlineMs + 250);
  // maxParamLength: signed acknowledge links are longer than fastify's default of 100.
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    logger: deps.logger ?? false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 2000 },
  });

  // Alertmanager always sends JSON; parse any content type as JSON rather than answer 415 to it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400, code: 'MALFORMED_JSON' }), undefined);
    }
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    done();
  });

  // The one error handler: bad input is a 4xx that names the problem; nothing else leaks a stack.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: `body larger than ${deps.bodyLimit ?? 1024 * 1024} bytes` });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return reply.code(400).send({ error: error.message });
    app.log.error(error);
    return reply.code(503).send({ error: 'temporarily unable to accept alerts; retry' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url}` }));

  app.get('/healthz', () => ({ status: 'ok' }));

  registerStatusRoutes(app, deps.client);
  registerAcknowledgeRoutes(app, { client: deps.client, policy: deps.policy, publicUrl: 'http://127.0.0.1', ...deps.acknowledge });

  app.get('/readyz', async (_request, reply) => {
    try {
      await temporalCall(() => deps.client.workflowService.getSystemInfo({}));
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', error: (error as Error).message });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    // Paging metrics live where pages are sent; merged here when the worker shares this process.
    const merged = Registry.merge([metrics.registry, pageRegistry]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });

  app.post('/alertmanager', async (request, reply) => {
    const stop = metrics.latency.startTimer({ route: '/alertmanager' });
    try {
      if (!authorized(deps.auth, request.headers.authorization)) {
        return await reply
          .code(401)
          .header('www-authenticate', deps.auth.kind === 'basic' ? 'Basic' : 'Bearer')
          .send({ error: 'missing or bad credentials' });
      }
      const parsed = parseWebhookPayload(request.body);
      if (!parsed.ok) return await reply.code(400).send({ error: 'invalid Alertmanager payload', issues: parsed.errors });
      const { payload } = parsed;
      for (const alert of payload.alerts) metrics.alerts.inc({ status: alert.status });
      const group = mapGroup(payload, deps.policy, new Date().toISOString());
      try {
        const outcome = await temporalCall(() => ingestGroup(deps.client, deps.taskQueue, group));
        metrics.incidents.inc({ outcome });
        return { status: 'accepted', outcome, workflowId: group.workflowId, alerts: payload.alerts.length };
      } catch (error) {
        request.log.warn({ err: error }, 'Temporal did not accept the alerts');
        return await reply
          .code(503)
          .header('retry-after', '1')
          .send({ error: `Temporal did not accept the alerts: ${(error as Error).message}` });
      }
    } finally {
      stop();
    }
  });

  return app;
}
