import type { WebhookPayload } from '../server/webhook/payload';

/** One firing alert in an Alertmanager webhook body (version 4), as the cluster smoke test and bench post it. */
export function firingPayload(o: {
  groupKey: string;
  receiver: string;
  groupLabels: Record<string, string>;
  /** The group's common labels; the alert carries them plus `alertLabels`. */
  labels: Record<string, string>;
  alertLabels?: Record<string, string>;
  summary: string;
  fingerprint: string;
  generatorURL?: string;
}): WebhookPayload {
  return {
    version: '4',
    groupKey: o.groupKey,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: o.receiver,
    groupLabels: o.groupLabels,
    commonLabels: o.labels,
    commonAnnotations: { summary: o.summary },
    externalURL: 'http://alertmanager.invalid',
    alerts: [
      {
        status: 'firing',
        labels: { ...o.labels, ...o.alertLabels },
        annotations: { summary: o.summary },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: o.generatorURL ?? '',
        fingerprint: o.fingerprint,
      },
    ],
  };
}
