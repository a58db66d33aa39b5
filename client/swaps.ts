/** A swap request as the CLI and the HTTP API accept it (`incidentctl swap request`, `POST /api/v1/swaps` with the same fields). */
import { z } from 'zod';
import { isoTime } from './store-requests';

export const swapAsk = z
  .object({
    schedule: z.string({ message: 'required: which schedule' }).trim().min(1, 'must not be empty'),
    with: z.string({ message: 'required: who is asked to take the shift' }).trim().min(1, 'must not be empty'),
    at: isoTime('2026-12-05T12:00:00Z').optional(),
    from: isoTime('2026-12-05T09:00:00Z').optional(),
    to: isoTime('2026-12-05T17:00:00Z').optional(),
    reason: z.string().trim().min(1, 'must not be empty').max(500).optional(),
  })
  .refine((o) => (o.at !== undefined) !== (o.from !== undefined || o.to !== undefined), {
    path: ['at'],
    message: 'give --at (a whole shift) or --from and --to (part of one)',
  })
  .refine((o) => o.at !== undefined || (o.from !== undefined && o.to !== undefined && Date.parse(o.to) > Date.parse(o.from)), {
    path: ['to'],
    message: 'must be after --from',
  });

/** The store workflow's request: the one asked is `taker`. */
export const swapRequestOf = ({ with: taker, ...o }: z.infer<typeof swapAsk>) => ({ op: 'request' as const, ...o, taker });
