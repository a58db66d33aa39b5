import { createHash } from 'node:crypto';
import type { ResponsePolicy } from '../../policy/schema';
import { isSeverity, type AlertBatch, type AlertRef, type IncidentInput, type Severity } from '../../contract';
import type { WebhookPayload } from './payload';
import { compileRoutes, routeAlert, type CompiledRoute } from '../../policy/teams';

export interface GroupIngest {
  workflowId: string;
  /** Used only when no incident is open for the group. */
  input: Omit<IncidentInput, 'policy'>;
  batch: AlertBatch;
  allResolved: boolean;
}

/** The words of a group's labels (alertname first) for people reading workflow ids; only from the key itself. */
function readablePart(groupKey: string): string {
  const labels = groupKey.slice(groupKey.lastIndexOf(':{') + 1);
  const values = [...labels.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => ({ name: m[1], value: m[2]! }));
  const chosen = values.find((v) => v.name === 'alertname') ?? values[0];
  return (chosen?.value ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/**
 * One open incident per Alertmanager group: the workflow id is derived from the group key alone (the
 * dedup key), readable in the Web UI: alerts-postgres-too-many-connections-<hash of the key>.
 */
export function workflowIdForGroup(groupKey: string): string {
  const readable = readablePart(groupKey);
  return `alerts-${readable ? `${readable}-` : ''}${createHash('sha256').update(groupKey).digest('hex').slice(0, 40)}`;
}

function severityOf(payload: WebhookPayload, policy: ResponsePolicy): { severity: Severity; note?: string } {
  const labels = { ...payload.alerts[0]!.labels, ...payload.commonLabels };
  const priority = labels.priority?.trim().toUpperCase();
  if (priority && isSeverity(priority)) return { severity: priority };
  const raw = labels.severity?.trim();
  const mapped = raw !== undefined ? policy.alertmanager.severityMap[raw.toLowerCase()] : undefined;
  if (mapped) return { severity: mapped };
  const what = priority ? `priority "${labels.priority}"` : raw !== undefined ? `severity "${raw}"` : 'no severity or priority label';
  return { severity: policy.defaultSeverity, note: `Alert has ${what}; using the policy default ${policy.defaultSeverity}` };
}

export function mapGroup(
  payload: WebhookPayload,
  policy: ResponsePolicy,
  receivedAt: string,
  routes: CompiledRoute[] = compileRoutes(policy),
): GroupIngest {
  const first = payload.alerts[0]!;
  const labels = { ...first.labels, ...payload.commonLabels };
  const annotations = { ...first.annotations, ...payload.commonAnnotations };
  const { severity, note } = severityOf(payload, policy);
  const alerts: AlertRef[] = payload.alerts.map((a) => ({
    fingerprint: a.fingerprint,
    name: a.labels.alertname ?? 'unnamed alert',
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
  }));
  const notes = note ? [note] : [];
  // Which service and team the labels are about (policy routes); the worker checks both when the incident opens.
  const routed = routeAlert(policy, labels, routes);
  // truncatedAlerts rides in the batch: the workflow records it once, as a warning.
  return {
    workflowId: workflowIdForGroup(payload.groupKey),
    input: {
      title: (annotations.summary ?? labels.alertname ?? 'Alertmanager alert').slice(0, 200),
      severity,
      service: routed.service,
      // A team only when the labels chose one: an unknown service is the worker's to route (and note).
      ...(policy.teams.length && routed.via !== 'default' ? { team: routed.team, routedBy: routed.via } : {}),
      source: 'alertmanager',
      declaredBy: `alertmanager/${payload.receiver}`,
      groupKey: payload.groupKey,
    },
    batch: { alerts, truncatedAlerts: payload.truncatedAlerts, notes, receivedAt, groupStatus: payload.status },
    allResolved: payload.alerts.every((a) => a.status === 'resolved'),
  };
}
