/** The store requests as the HTTP API accepts them (the CLI checks the same fields itself), and the inbox's incident. */
import { z } from 'zod';

/** An ISO time with its offset, refused with an example of one. */
export const isoTime = (example: string) => z.iso.datetime({ offset: true, message: `expected an ISO time such as ${example}` });

const incidentId = z.string().regex(/^INC-\d+$/, 'expected an incident id such as INC-42');

/** An incident to read the inbox of (`incidentctl inbox INC-7`, `GET /api/v1/inbox?incident=`), any case. */
export const inboxIncident = z
  .string()
  .regex(/^INC-\d+$/i, 'expected an incident id such as INC-42')
  .transform((v) => v.toUpperCase());

export const actionItemRequest = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('add'),
    incidentId,
    text: z.string().trim().min(1, 'must not be empty').max(500),
    owner: z.string().trim().min(1, 'must not be empty').max(100),
    due: z.iso.date('expected a date such as 2026-12-31'),
  }),
  z.object({ op: z.literal('done'), id: z.string().regex(/^A-\d+$/, 'expected an action item id such as A-7') }),
]);

export const overrideRequest = z
  .object({
    contactId: z.string().trim().min(1, 'must not be empty'),
    from: isoTime('2026-12-01T09:00:00Z'),
    to: isoTime('2026-12-02T09:00:00Z'),
    schedule: z.string().trim().min(1, 'must not be empty').optional(),
  })
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ['to'], message: 'must be after from' });
