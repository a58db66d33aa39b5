/** An integration as an admin asks for one (`incidentctl integration add`, `POST /api/v1/integrations`). */
import { z } from 'zod';
import { CONTROL_CHARACTERS, INTEGRATION_KINDS, SEVERITIES } from '../contract';
import { DURATION_PATTERN, durationMs } from '../policy/duration';

const seconds = (what: string, min: number) =>
  z
    .string()
    .regex(DURATION_PATTERN, `${what}: a duration such as 30s, 15m or 1h`)
    .transform((d) => durationMs(d) / 1000)
    .pipe(
      z
        .number()
        .min(min, `at least ${min}s`)
        .max(7 * 86_400, 'at most a week'),
    );

export const integrationRequest = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100)
      .refine((v) => !CONTROL_CHARACTERS.test(v), 'one line without control characters'),
    service: z.string().trim().min(1, 'must not be empty').max(100),
    kind: z.enum(INTEGRATION_KINDS, { message: `expected one of ${INTEGRATION_KINDS.join(', ')}` }).default('events-v2'),
    ratePerMinute: z.number().int().min(1, 'at least 1').max(10_000, 'at most 10000').default(120),
    /** Heartbeats: how often a ping is expected, how late it may be, and the severity of a silence. */
    every: seconds('every', 1).optional(),
    grace: seconds('grace', 0).optional(),
    severity: z.enum(SEVERITIES, { message: 'P0, P1, P2 or P3' }).default('P3'),
    /** Generic webhooks: the policy's mapping (webhookMappings[].id). */
    mapping: z.string().trim().min(1).max(100).optional(),
  })
  .refine((r) => r.kind !== 'webhook' || r.mapping !== undefined, {
    path: ['mapping'],
    message: 'required for a webhook: which of the policy’s webhookMappings',
  })
  .refine((r) => r.kind !== 'heartbeat' || r.every !== undefined, {
    path: ['every'],
    message: 'required for a heartbeat: how often it pings',
  })
  .transform(({ every, grace, severity, mapping, ...r }) => ({
    ...(r.kind === 'webhook' ? { mapping } : {}),
    ...r,
    ...(r.kind === 'heartbeat' ? { heartbeat: { everySeconds: every!, graceSeconds: grace ?? 0, severity } } : {}),
  }));
