/**
 * Prometheus Alertmanager's webhook (`POST /alertmanager`): each alert group opens or joins one incident;
 * the Watchdog alert is the pipeline's heartbeat. Credentials are checked before the body is read.
 */
import { durationMs } from '../../policy/duration';
import { authorized } from '../auth';
import { ingestGroup, ingestHeartbeat } from '../webhook/ingest';
import { mapGroup } from '../webhook/mapping';
import { parseWebhookPayload } from '../webhook/payload';
import type { IntakeSource } from './source';

export const alertmanager: IntakeSource = {
  name: 'Prometheus Alertmanager',
  register(app, ctx) {
    const { metrics } = ctx;
    void app.register((scope, _opts, next) => {
      // Alertmanager always sends JSON; parse any content type as JSON rather than answer 415 to it.
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
        metrics.bodiesParsed.inc({ route: '/alertmanager' });
        try {
          done(null, JSON.parse(body as string));
        } catch (error) {
          done(
            Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400, code: 'MALFORMED_JSON' }),
            undefined,
          );
        }
      });
      scope.post(
        '/alertmanager',
        {
          bodyLimit: ctx.bodyLimit,
          // Credentials before a byte of the body is read: a stranger's post costs no parsing and no memory.
          onRequest: (request, reply, done) => {
            if (authorized(ctx.auth, request.headers.authorization)) return done();
            // Closing the connection spares reading (and discarding) the rest of the body.
            void reply
              .code(401)
              .header('connection', 'close')
              .header('www-authenticate', ctx.auth.kind === 'basic' ? 'Basic' : 'Bearer')
              .send({ error: 'missing or bad credentials' });
          },
        },
        async (request, reply) => {
          const stop = metrics.latency.startTimer({ route: '/alertmanager' });
          try {
            const parsed = parseWebhookPayload(request.body);
            if (!parsed.ok) return await reply.code(400).send({ error: 'invalid Alertmanager payload', issues: parsed.errors });
            const { payload } = parsed;
            for (const alert of payload.alerts) metrics.alerts.inc({ status: alert.status });
            const group = mapGroup(payload, ctx.policy, new Date().toISOString(), ctx.routes);
            const watchdog = ctx.policy.alertmanager.watchdog;
            const heartbeat =
              watchdog &&
              payload.alerts.every((a) => a.labels.alertname === watchdog.alertname) &&
              payload.alerts.some((a) => a.status === 'firing');
            const outcome = await ctx.intoTemporal(reply, 'the alerts', () =>
              heartbeat
                ? ingestHeartbeat(
                    ctx.client,
                    ctx.taskQueue,
                    { alertname: watchdog.alertname, silentAfterMs: durationMs(watchdog.silentAfter), severity: watchdog.severity },
                    group.batch.receivedAt,
                  )
                : ingestGroup(ctx.client, ctx.taskQueue, group),
            );
            if (outcome === undefined) return reply;
            metrics.incidents.inc({ outcome });
            return { status: 'accepted', outcome, workflowId: group.workflowId, alerts: payload.alerts.length };
          } finally {
            stop();
          }
        },
      );
      next();
    });
  },
};
