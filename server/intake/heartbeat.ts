/**
 * Heartbeat pings (`GET` or `POST /heartbeat/<key>`): the URL is the credential. Each ping starts the
 * integration's heartbeat workflow or resets its timer (signal-with-start, so the first ping starts it).
 */
import {
  HEARTBEAT_WORKFLOW_TYPE,
  heartbeatPingSignal,
  heartbeatWorkflowId,
  type HeartbeatInput,
  type IntegrationRecord,
} from '../../contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDuration } from '../../policy/duration';
import { refuseKey } from './integration-keys';
import type { IntakeContext, IntakeSource } from './source';

async function ping(ctx: IntakeContext, integration: IntegrationRecord): Promise<'heartbeat'> {
  const settings = integration.heartbeat!;
  await ctx.client.workflow.signalWithStart(HEARTBEAT_WORKFLOW_TYPE, {
    workflowId: heartbeatWorkflowId(integration.id),
    taskQueue: ctx.taskQueue,
    args: [{ integrationId: integration.id, name: integration.name, service: integration.service, settings } satisfies HeartbeatInput],
    signal: heartbeatPingSignal,
    signalArgs: [{ at: new Date().toISOString(), settings }],
    staticSummary: `Heartbeat ${integration.name}: an incident for ${integration.service} after ${formatDuration((settings.everySeconds + settings.graceSeconds) * 1000)} without a ping`,
  });
  return 'heartbeat';
}

export const heartbeat: IntakeSource = {
  name: 'Heartbeats',
  register(app, ctx) {
    const check = ctx.checkKey;
    const handler = async (request: FastifyRequest<{ Params: { key: string } }>, reply: FastifyReply) => {
      if (!check) return reply.code(503).send({ error: 'heartbeats need the store: set DATABASE_URL' });
      const checked = await check(request.params.key, 'heartbeat', request.ip);
      if (!checked.ok) return refuseKey(reply, checked, 'heartbeat');
      const { integration } = checked;
      const outcome = await ctx.intoTemporal(reply, 'the ping', () => ping(ctx, integration));
      if (outcome === undefined) return reply;
      ctx.metrics.incidents.inc({ outcome });
      const window = (integration.heartbeat!.everySeconds + integration.heartbeat!.graceSeconds) * 1000;
      return { status: 'ok', heartbeat: integration.name, silentAfter: formatDuration(window) };
    };
    app.get<{ Params: { key: string } }>('/heartbeat/:key', handler);
    // Pings from tools that POST (with any body, ignored).
    void app.register((scope, _opts, next) => {
      scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, _body, done) => done(null, undefined));
      scope.post<{ Params: { key: string } }>('/heartbeat/:key', handler);
      next();
    });
  },
};
