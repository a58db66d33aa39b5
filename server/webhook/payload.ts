import { z } from 'zod';

/** Alertmanager's webhook payload, version 4, read in full. */
const labelSet = z.record(z.string(), z.string());

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.iso.datetime({ offset: true }),
  // A firing alert's endsAt is the zero time "0001-01-01T00:00:00Z".
  endsAt: z.iso.datetime({ offset: true }),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(128),
});

export const webhookPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(4096),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().min(1),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema).min(1),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
export type WebhookAlert = z.infer<typeof alertSchema>;

export interface PayloadError {
  path: string;
  message: string;
}

export function parseWebhookPayload(body: unknown): { ok: true; payload: WebhookPayload } | { ok: false; errors: PayloadError[] } {
  const result = webhookPayloadSchema.safeParse(body);
  if (result.success) return { ok: true, payload: result.data };
  return {
    ok: false,
    errors: result.error.issues.slice(0, 20).map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message })),
  };
}
