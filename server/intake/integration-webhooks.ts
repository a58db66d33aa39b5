/**
 * Integrations that post their own JSON to `/integrations/<key>` (the URL is the credential):
 * `grafana`, Grafana Alerting's webhook contact point (Alertmanager's format, version 1, plus Grafana's
 * fields), and `webhook`, any JSON read by one of the policy's `webhookMappings` (JMESPath), such as
 * UptimeRobot's. Each opens or joins the incident of its group or dedup key, like an Alertmanager group.
 */
import { search } from 'jmespath';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AlertRef, IntegrationRecord } from '../../contract';
import type { ResponsePolicy } from '../../policy/schema';
import { routeService, type CompiledRoute } from '../../policy/teams';
import type { WebhookMapping } from '../../policy/webhook-mapping-schema';
import { ingestGroup } from '../webhook/ingest';
import { mapGroup, workflowIdForGroup, type GroupIngest } from '../webhook/mapping';
import { alertSchema, webhookPayloadSchema, type WebhookPayload } from '../webhook/payload';
import { workflowIdForEvent } from './events-v2';
import { refuseKey } from './integration-keys';
import type { IntakeSource } from './source';

const labelSet = z.record(z.string(), z.string());

/** Grafana Alerting's webhook: Alertmanager's payload (version "1") with Grafana's own fields beside it. */
export const grafanaPayloadSchema = webhookPayloadSchema.extend({
  version: z.string(),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  alerts: z.array(alertSchema.extend({ fingerprint: z.string().min(1).max(128) })).min(1),
});

export function mapGrafana(
  payload: z.infer<typeof grafanaPayloadSchema>,
  integration: IntegrationRecord,
  policy: ResponsePolicy,
  receivedAt: string,
  routes: CompiledRoute[],
): GroupIngest {
  const asAlertmanager = { ...payload, version: '4' } as WebhookPayload;
  const group = mapGroup(asAlertmanager, policy, receivedAt, routes);
  const from = `integration ${integration.name}`;
  // The labels chose a service or team when mapGroup's routing gave a team (a single-team policy takes the
  // labels' service as it is); else the integration's service owns it.
  const labelled = !policy.teams.length || group.input.team !== undefined;
  const owner = labelled
    ? { service: group.input.service, team: group.input.team, routedBy: `${from}, ${group.input.routedBy}` }
    : { service: integration.service, team: routeService(policy, integration.service).team, routedBy: from };
  return {
    ...group,
    workflowId: workflowIdForGroup(`${integration.id}:${payload.groupKey}`),
    input: {
      ...group.input,
      service: owner.service,
      ...(policy.teams.length ? { team: owner.team, routedBy: owner.routedBy } : {}),
      source: 'integration',
      declaredBy: from,
    },
    batch: { ...group.batch, from },
  };
}

/** A generic webhook's post, read by its mapping; the errors name each field the mapping could not read. */
export function mapWebhook(
  body: unknown,
  mapping: WebhookMapping,
  integration: IntegrationRecord,
  policy: ResponsePolicy,
  receivedAt: string,
): GroupIngest | { errors: string[] } {
  const errors: string[] = [];
  const read = (field: string, expr: string | undefined): unknown => {
    if (expr === undefined) return undefined;
    try {
      return search(body, expr);
    } catch (error) {
      errors.push(`${field}: mapping ${mapping.id} could not read it (${(error as Error).message})`);
      return undefined;
    }
  };
  const text = (field: string, expr: string) => {
    const v = read(field, expr);
    if ((typeof v === 'string' && v.trim()) || typeof v === 'number') return String(v).trim();
    if (!errors.some((e) => e.startsWith(`${field}:`))) errors.push(`${field}: mapping ${mapping.id} found no text at ${expr}`);
    return '';
  };
  const title = text('title', mapping.title);
  const dedupKey = text('dedupKey', mapping.dedupKey);
  const resolved = read('resolved', mapping.resolved) === true;
  const severityValue = read('severity', mapping.severity);
  const serviceValue = read('service', mapping.service);
  const detailsValue = read('details', mapping.details);
  if (errors.length) return { errors };
  const severity = (typeof severityValue === 'string' && mapping.severityMap[severityValue]) || mapping.defaultSeverity;
  const named = typeof serviceValue === 'string' && policy.services.some((s) => s.id === serviceValue) ? serviceValue : undefined;
  const service = named ?? integration.service;
  const from = `integration ${integration.name}`;
  const details = detailsValue === undefined || detailsValue === null ? undefined : JSON.stringify(detailsValue).slice(0, 4000);
  const status = resolved ? 'resolved' : 'firing';
  const alert: AlertRef = {
    fingerprint: dedupKey.slice(0, 128),
    name: title.slice(0, 100),
    status,
    labels: { service, integration: integration.name, mapping: mapping.id },
    annotations: { summary: title.slice(0, 1000), ...(details ? { details } : {}) },
    startsAt: receivedAt,
  };
  return {
    workflowId: workflowIdForEvent(integration, dedupKey),
    input: {
      title: title.slice(0, 200),
      severity,
      service,
      ...(policy.teams.length ? { team: routeService(policy, service).team, routedBy: from } : {}),
      source: 'integration',
      declaredBy: from,
    },
    batch: { alerts: [alert], truncatedAlerts: 0, notes: [], receivedAt, groupStatus: status, from },
    allResolved: resolved,
  };
}

export const integrationWebhooks: IntakeSource = {
  name: 'Grafana and generic webhooks',
  register(app, ctx) {
    const check = ctx.checkKey;
    const invalid = (reply: FastifyReply, issues: string[]) => reply.code(400).send({ error: 'invalid payload', issues });
    void app.register((scope, _opts, next) => {
      scope.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
        // Most senders post JSON; some tools (UptimeRobot's "POST value") may post a form.
        const type = String(request.headers['content-type'] ?? '');
        if (type.startsWith('application/x-www-form-urlencoded'))
          return done(null, Object.fromEntries(new URLSearchParams(body as string)));
        try {
          done(null, JSON.parse(body as string));
        } catch (error) {
          done(Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
        }
      });
      scope.post<{ Params: { key: string }; Body: unknown }>('/integrations/:key', { bodyLimit: ctx.bodyLimit }, async (request, reply) => {
        if (!check) return reply.code(503).send({ error: 'integrations need the store: set DATABASE_URL' });
        const checked = await check(request.params.key, ['grafana', 'webhook'], request.ip);
        if (!checked.ok) return refuseKey(reply, checked, 'integration');
        const { integration } = checked;
        const receivedAt = new Date().toISOString();
        let group: GroupIngest;
        if (integration.kind === 'grafana') {
          const parsed = grafanaPayloadSchema.safeParse(request.body);
          if (!parsed.success)
            return invalid(
              reply,
              parsed.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
            );
          group = mapGrafana(parsed.data, integration, ctx.policy, receivedAt, ctx.routes);
        } else {
          const mapping = ctx.policy.webhookMappings.find((m) => m.id === integration.mapping);
          if (!mapping) return reply.code(409).send({ error: `the policy has no webhook mapping "${integration.mapping}" any more` });
          const mapped = mapWebhook(request.body, mapping, integration, ctx.policy, receivedAt);
          if ('errors' in mapped) return invalid(reply, mapped.errors);
          group = mapped;
        }
        const outcome = await ctx.intoTemporal(reply, 'the alerts', () => ingestGroup(ctx.client, ctx.taskQueue, group));
        if (outcome === undefined) return reply;
        ctx.metrics.incidents.inc({ outcome });
        return reply.code(202).send({ status: 'accepted', outcome, workflowId: group.workflowId });
      });
      next();
    });
  },
};
