import type { Pool } from 'pg';
import type { MaintenanceWindow } from '../contract';

type Row = {
  id: string;
  service: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  created_by: string;
  ended_at: Date | null;
  ended_by: string | null;
  workflow_id: string;
};

const toWindow = (r: Row): MaintenanceWindow => ({
  id: `M-${r.id}`,
  service: r.service,
  from: r.starts_at.toISOString(),
  to: r.ends_at.toISOString(),
  reason: r.reason,
  createdBy: r.created_by,
  ...(r.ended_at ? { endedAt: r.ended_at.toISOString(), endedBy: r.ended_by ?? '' } : {}),
  workflowId: r.workflow_id,
});

export interface NewMaintenanceWindow {
  service: string;
  from: string;
  to: string;
  reason: string;
  by: string;
  /** The window's workflow: its id keeps a retried start to one window. */
  workflowId: string;
}

/** Maintenance windows: alerts of a service in one are recorded and page nobody. */
export class MaintenanceStore {
  constructor(readonly pool: Pool) {}

  /** Idempotent by the window's workflow id: a retried start records the window once. */
  async start(input: NewMaintenanceWindow): Promise<MaintenanceWindow> {
    const { rows } = await this.pool.query<Row>(
      `WITH added AS (
         INSERT INTO maintenance_windows (service, starts_at, ends_at, reason, created_by, workflow_id) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (workflow_id) DO NOTHING RETURNING *)
       SELECT * FROM added UNION ALL SELECT * FROM maintenance_windows WHERE workflow_id = $6 LIMIT 1`,
      [input.service, input.from, input.to, input.reason, input.by, input.workflowId],
    );
    return toWindow(rows[0]!);
  }

  /** The window in force for a service at a moment (the latest started), if any. */
  async activeFor(service: string, atMs: number): Promise<MaintenanceWindow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM maintenance_windows
        WHERE service = $1 AND starts_at <= $2 AND $2 < COALESCE(ended_at, ends_at)
        ORDER BY starts_at DESC, id DESC LIMIT 1`,
      [service, new Date(atMs)],
    );
    return rows[0] && toWindow(rows[0]);
  }

  /** Windows in force or to come at `atMs`, soonest first. */
  async list(atMs: number): Promise<MaintenanceWindow[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM maintenance_windows WHERE ended_at IS NULL AND ends_at > $1 ORDER BY starts_at, id',
      [new Date(atMs)],
    );
    return rows.map(toWindow);
  }

  async find(id: string): Promise<MaintenanceWindow | undefined> {
    const number = /^M-(\d+)$/i.exec(id)?.[1];
    if (!number) return undefined;
    const { rows } = await this.pool.query<Row>('SELECT * FROM maintenance_windows WHERE id = $1', [number]);
    return rows[0] && toWindow(rows[0]);
  }

  /** Ends a window (early, or when its timer fired: how late shows in ended_at); a window already ended keeps its first end. */
  async end(workflowId: string, atMs: number, by: string): Promise<MaintenanceWindow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE maintenance_windows SET ended_at = $2, ended_by = $3
        WHERE workflow_id = $1 AND ended_at IS NULL RETURNING *`,
      [workflowId, new Date(atMs), by],
    );
    if (rows[0]) return toWindow(rows[0]);
    const { rows: existing } = await this.pool.query<Row>('SELECT * FROM maintenance_windows WHERE workflow_id = $1', [workflowId]);
    return existing[0] && toWindow(existing[0]);
  }
}
