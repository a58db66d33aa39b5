/** An integration as an admin asks for one (`incidentctl integration add`, `POST /api/v1/integrations`). */
import { z } from 'zod';
import { CONTROL_CHARACTERS, INTEGRATION_KINDS } from '../contract';

export const integrationRequest = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100)
    .refine((v) => !CONTROL_CHARACTERS.test(v), 'one line without control characters'),
  service: z.string().trim().min(1, 'must not be empty').max(100),
  kind: z.enum(INTEGRATION_KINDS, { message: `expected one of ${INTEGRATION_KINDS.join(', ')}` }).default('events-v2'),
  ratePerMinute: z.number().int().min(1, 'at least 1').max(10_000, 'at most 10000').default(120),
});
