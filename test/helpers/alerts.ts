import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WebhookPayload } from '../../server/webhook/payload';

export const firingFixture = (): WebhookPayload =>
  JSON.parse(readFileSync(path.join(__dirname, '../fixtures/alertmanager-firing.json'), 'utf8')) as WebhookPayload;

/** A payload for one group, with the given alerts (fingerprint -> status). */
export function groupPayload(
  groupKey: string,
  alerts: Record<string, 'firing' | 'resolved'>,
  labels: Record<string, string> = {},
): WebhookPayload {
  const base = firingFixture();
  const entries = Object.entries(alerts);
  const template = base.alerts[0]!;
  return {
    ...base,
    groupKey,
    status: entries.every(([, s]) => s === 'resolved') ? 'resolved' : 'firing',
    commonLabels: { ...base.commonLabels, ...labels },
    alerts: entries.map(([fingerprint, status]) => ({
      ...template,
      status,
      fingerprint,
      labels: { ...template.labels, ...labels, instance: `${fingerprint}:9187` },
      endsAt: status === 'resolved' ? '2026-11-27T10:05:00Z' : '0001-01-01T00:00:00Z',
    })),
  };
}
