/**
 * An Events API compatible with PagerDuty's v2 (`POST /v2/enqueue`), the API nearly every monitoring
 * tool already speaks. The `routing_key` is an integration's key (stored hashed; `incidentctl
 * integration add`), which names the service. A trigger opens or joins the incident of its dedup key
 * exactly as an Alertmanager group does; resolve clears its alert; acknowledge acknowledges the
 * incident as the integration. Answers as PagerDuty does: 202 with the dedup key, 400 naming what is
 * wrong, 429 past the integration's rate; 503 only when Temporal did not take the event.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { acknowledgeUpdate, stateQuery, type AlertRef, type IntegrationRecord } from '../../contract';
import type { ResponsePolicy } from '../../policy/schema';
import { routeService } from '../../policy/teams';
import { signProof } from '../../security/identity';
import { ingestGroup } from '../webhook/ingest';
import type { GroupIngest } from '../webhook/mapping';
import type { IntakeContext, IntakeSource } from './source';

export const V2_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

const text = (max: number) => z.string().max(max, `at most ${max} characters`);

/** The Events API v2 event, as PagerDuty documents it. */
export const eventV2Schema = z
  .object({
    routing_key: z.string({ message: 'required' }).length(32, 'an integration key is 32 characters'),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve'], { message: 'expected trigger, acknowledge or resolve' }),
    dedup_key: z.string().min(1, 'must not be empty').max(255, 'at most 255 characters').optional(),
    payload: z
      .object({
        summary: z.string({ message: 'required' }).trim().min(1, 'must not be empty').max(1024, 'at most 1024 characters'),
        source: z.string({ message: 'required' }).trim().min(1, 'must not be empty').max(255, 'at most 255 characters'),
        severity: z.enum(V2_SEVERITIES, { message: 'expected critical, error, warning or info' }),
        timestamp: z.iso.datetime({ offset: true, message: 'an ISO 8601 time' }).optional(),
        component: text(255).optional(),
        group: text(255).optional(),
        class: text(255).optional(),
        custom_details: z.unknown().optional(),
      })
      .optional(),
    client: text(255).optional(),
    client_url: text(2048).optional(),
    links: z
      .array(z.object({ href: z.url({ message: 'a URL' }).max(2048), text: text(1024).optional() }))
      .max(50)
      .optional(),
    images: z
      .array(z.object({ src: text(2048), href: text(2048).optional(), alt: text(1024).optional() }))
      .max(50)
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.event_action === 'trigger' && !e.payload) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'required for a trigger' });
    if (e.event_action !== 'trigger' && !e.dedup_key)
      ctx.addIssue({ code: 'custom', path: ['dedup_key'], message: `required to ${e.event_action}` });
  });
export type EventV2 = z.infer<typeof eventV2Schema>;

/** One incident per integration and dedup key, readable in the Web UI: events-<integration>-<hash>. */
export function workflowIdForEvent(integration: Pick<IntegrationRecord, 'id' | 'name'>, dedupKey: string): string {
  const readable = integration.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30);
  const hash = createHash('sha256').update(`${integration.id}\0${dedupKey}`).digest('hex').slice(0, 40);
  return `events-${readable ? `${readable}-` : ''}${hash}`;
}

/** A trigger or resolve as the incident workflow takes alerts: one alert per dedup key. */
export function mapEvent(
  event: EventV2,
  integration: IntegrationRecord,
  dedupKey: string,
  policy: ResponsePolicy,
  receivedAt: string,
): GroupIngest {
  const p = event.payload;
  const status = event.event_action === 'resolve' ? 'resolved' : 'firing';
  const from = `integration ${integration.name}`;
  const labels: Record<string, string> = {
    service: integration.service,
    integration: integration.name,
    ...(p ? { source: p.source, severity: p.severity } : {}),
    ...(p?.component ? { component: p.component } : {}),
    ...(p?.group ? { group: p.group } : {}),
    ...(p?.class ? { class: p.class } : {}),
  };
  const details = p?.custom_details === undefined ? undefined : JSON.stringify(p.custom_details).slice(0, 4000);
  const links = [...(event.links ?? []).map((l) => l.href), ...(event.client_url ? [event.client_url] : [])].join(' ');
  const alert: AlertRef = {
    fingerprint: dedupKey,
    name: (p?.class ?? p?.summary ?? 'event').slice(0, 100),
    status,
    labels,
    annotations: {
      ...(p ? { summary: p.summary } : {}),
      ...(details ? { details } : {}),
      ...(links ? { links: links.slice(0, 4000) } : {}),
    },
    startsAt: p?.timestamp ?? receivedAt,
  };
  const routed = routeService(policy, integration.service);
  return {
    workflowId: workflowIdForEvent(integration, dedupKey),
    input: {
      title: (p?.summary ?? `${integration.name} event`).slice(0, 200),
      severity: policy.integrations.severityMap[p?.severity ?? 'error'],
      service: integration.service,
      ...(policy.teams.length ? { team: routed.team, routedBy: from } : {}),
      source: 'integration',
      declaredBy: from,
    },
    batch: { alerts: [alert], truncatedAlerts: 0, notes: [], receivedAt, groupStatus: status, from },
    allResolved: status === 'resolved',
  };
}

/**
 * The integration acknowledges the open incident of its dedup key, signed so the worker records who
 * (verified as `integration`). Nothing open, or already acknowledged: nothing to do.
 */
async function acknowledgeAs(ctx: IntakeContext, integration: IntegrationRecord, workflowId: string): Promise<'acknowledged' | 'ignored'> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const state = await handle.query(stateQuery).catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  });
  if (!state?.incidentId || state.status !== 'open') return 'ignored';
  const args = { by: `integration ${integration.name}`, incidentId: state.incidentId };
  const proof =
    ctx.identitySecret &&
    signProof(ctx.identitySecret, {
      person: `integration:${integration.id}`,
      via: 'integration',
      action: 'acknowledge',
      workflowId,
      incidentId: state.incidentId,
      args,
    });
  try {
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ ...args, ...(proof ? { proof } : {}) }] });
    return 'acknowledged';
  } catch (error) {
    // Refused by the incident (acknowledged meanwhile, resolved): the event is processed, as PagerDuty would.
    if (error instanceof WorkflowUpdateFailedError) return 'ignored';
    throw error;
  }
}

export const eventsV2: IntakeSource = {
  name: 'Events API v2',
  register(app, ctx) {
    const check = ctx.checkKey;
    const invalid = (reply: FastifyReply, errors: string[]) =>
      reply.code(400).send({ status: 'invalid event', message: 'Event object is invalid', errors });
    const throttled = (reply: FastifyReply, seconds: number) =>
      reply
        .code(429)
        .header('retry-after', String(seconds))
        .send({ status: 'throttle event', message: 'Requests for this integration are arriving too quickly. Please retry later.' });

    void app.register((scope, _opts, next) => {
      // Monitors send JSON under various content types: the body is read as text and parsed here.
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.post<{ Body: string }>('/v2/enqueue', { bodyLimit: 512 * 1024 }, async (request, reply) => {
        let body: unknown;
        try {
          body = JSON.parse(request.body);
        } catch (error) {
          return invalid(reply, [`body: malformed JSON (${(error as Error).message})`]);
        }
        const parsed = eventV2Schema.safeParse(body);
        if (!parsed.success)
          return invalid(
            reply,
            parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`),
          );
        const event = parsed.data;
        if (!check) return reply.code(503).send({ status: 'unavailable', message: 'integrations need the store: set DATABASE_URL' });
        const checked = await check(event.routing_key, 'events-v2', request.ip);
        if (!checked.ok) {
          if (checked.why === 'unknown') return invalid(reply, ['routing_key: no Events API integration has this key']);
          if (checked.why === 'store') {
            request.log.warn({ err: checked.error }, 'integration lookup failed');
            return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', message: 'the store did not answer; retry' });
          }
          return throttled(reply, checked.retryAfter ?? 1);
        }
        const { integration } = checked;
        const dedupKey = event.dedup_key ?? randomUUID().replace(/-/g, '');
        const workflowId = workflowIdForEvent(integration, dedupKey);
        const outcome =
          event.event_action === 'acknowledge'
            ? await ctx.intoTemporal(reply, 'the acknowledgement', () => acknowledgeAs(ctx, integration, workflowId))
            : await ctx.intoTemporal(reply, 'the event', () =>
                ingestGroup(ctx.client, ctx.taskQueue, mapEvent(event, integration, dedupKey, ctx.policy, new Date().toISOString())),
              );
        if (outcome === undefined) return reply;
        ctx.metrics.incidents.inc({ outcome });
        return reply.code(202).send({ status: 'success', message: 'Event processed', dedup_key: dedupKey });
      });
      next();
    });
  },
};
