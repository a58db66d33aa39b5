/**
 * Shift swaps: a request to take over part of someone's shift on a schedule, answered by the person
 * asked. Accepting writes the override in the same transaction, so a swap is an override exactly once.
 */
import type { Pool } from 'pg';
import type { ShiftSwap } from '../contract';

interface SwapRow {
  id: string;
  schedule_id: string;
  requester: string;
  taker: string;
  starts_at: Date;
  ends_at: Date;
  reason: string | null;
  status: ShiftSwap['status'];
  created_by: string;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  override_id: string | null;
}

const toSwap = (r: SwapRow): ShiftSwap => ({
  id: `S-${r.id}`,
  schedule: r.schedule_id,
  requester: r.requester,
  taker: r.taker,
  from: r.starts_at.toISOString(),
  to: r.ends_at.toISOString(),
  ...(r.reason ? { reason: r.reason } : {}),
  status: r.status,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
  ...(r.decided_at ? { decidedAt: r.decided_at.toISOString() } : {}),
  ...(r.override_id ? { overrideId: `O-${r.override_id}` } : {}),
});

export interface NewSwap {
  schedule: string;
  requester: string;
  taker: string;
  from: string;
  to: string;
  reason?: string;
  by: string;
  /** The request's workflow id: a retried request adds one swap. */
  requestId: string;
}

export class SwapStore {
  constructor(private readonly pool: Pool) {}

  async add(s: NewSwap): Promise<ShiftSwap> {
    const { rows } = await this.pool.query<SwapRow>(
      `WITH added AS (
         INSERT INTO shift_swaps (schedule_id, requester, taker, starts_at, ends_at, reason, created_by, request_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (request_id) DO NOTHING RETURNING *)
       SELECT * FROM added UNION ALL SELECT * FROM shift_swaps WHERE request_id = $8 LIMIT 1`,
      [s.schedule, s.requester, s.taker, s.from, s.to, s.reason ?? null, s.by, s.requestId],
    );
    return toSwap(rows[0]!);
  }

  async get(id: string): Promise<ShiftSwap | undefined> {
    const number = /^S-(\d+)$/i.exec(id)?.[1];
    if (!number) return undefined;
    const { rows } = await this.pool.query<SwapRow>('SELECT * FROM shift_swaps WHERE id = $1', [number]);
    return rows[0] && toSwap(rows[0]);
  }

  /** Swaps whose window has not ended, soonest first. */
  async list(atMs: number): Promise<ShiftSwap[]> {
    const { rows } = await this.pool.query<SwapRow>('SELECT * FROM shift_swaps WHERE ends_at > $1 ORDER BY starts_at, id', [
      new Date(atMs),
    ]);
    return rows.map(toSwap);
  }

  /**
   * Answers a pending swap. Accepting adds the override (the taker on call for the window) in the same
   * transaction. A swap answered already comes back as it stands: a retried answer changes nothing.
   */
  async decide(id: string, status: 'accepted' | 'declined' | 'cancelled', by: string): Promise<ShiftSwap | undefined> {
    const number = /^S-(\d+)$/i.exec(id)?.[1];
    if (!number) return undefined;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<SwapRow>('SELECT * FROM shift_swaps WHERE id = $1 FOR UPDATE', [number]);
      const row = rows[0];
      if (!row || row.status !== 'pending') {
        await client.query('COMMIT');
        return row && toSwap(row);
      }
      let overrideId: string | null = null;
      if (status === 'accepted') {
        const added = await client.query<{ id: string }>(
          `INSERT INTO oncall_overrides (contact_id, starts_at, ends_at, created_by, request_id, schedule_id)
           VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
          [row.taker, row.starts_at, row.ends_at, `${by} (swap S-${row.id})`, `swap:S-${row.id}`, row.schedule_id],
        );
        overrideId = added.rows[0]!.id;
      }
      const updated = await client.query<SwapRow>(
        `UPDATE shift_swaps SET status = $2, decided_by = $3, decided_at = now(), override_id = $4 WHERE id = $1 RETURNING *`,
        [number, status, by, overrideId],
      );
      await client.query('COMMIT');
      return toSwap(updated.rows[0]!);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
