import type { Pool } from 'pg';
import type { EvidenceRecord, StepPlan } from '../contract';
import { describeCommand } from '../policy/runbook-plan';
import type { StepResult } from '../contract';

type Row = {
  id: string;
  incident_id: string;
  ref: string;
  title: string;
  kind: string;
  host: string;
  command: string;
  approved_by: string | null;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  duration_ms: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  recorded_at: Date;
};

/** What each runbook step ran and what it printed, one row per step and incident. */
export class EvidenceStore {
  constructor(private readonly pool: Pool) {}

  /** Idempotent: a retried activity returns the row already written. */
  async record(input: { incidentNumber: number; plan: StepPlan; approvedBy?: string; result: StepResult }): Promise<number> {
    const { plan, result } = input;
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO runbook_evidence (incident_number, ref, title, kind, host, command, approved_by, exit_code, signal,
         timed_out, duration_ms, stdout, stderr, truncated, terminated_pids)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
       ON CONFLICT (incident_number, ref) DO UPDATE SET ref = EXCLUDED.ref
       RETURNING id`,
      [
        input.incidentNumber,
        plan.ref,
        plan.title,
        plan.kind,
        result.host,
        describeCommand(plan),
        input.approvedBy ?? null,
        result.exitCode,
        result.signal ?? null,
        result.timedOut,
        Math.round(result.durationMs),
        // PostgreSQL text cannot hold NUL bytes.
        result.stdout.replace(/\0/g, '\\0'),
        result.stderr.replace(/\0/g, '\\0'),
        result.truncated,
        result.terminated ?? null,
      ],
    );
    return Number(rows[0]!.id);
  }

  async list(incidentId: string): Promise<EvidenceRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT e.*, i.incident_id FROM runbook_evidence e JOIN incidents i ON i.number = e.incident_number
        WHERE i.incident_id = $1 ORDER BY e.id`,
      [incidentId],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      incidentId: r.incident_id,
      ref: r.ref,
      title: r.title,
      kind: r.kind,
      host: r.host,
      command: r.command,
      approvedBy: r.approved_by ?? undefined,
      exitCode: r.exit_code,
      signal: r.signal ?? undefined,
      timedOut: r.timed_out,
      durationMs: r.duration_ms,
      stdout: r.stdout,
      stderr: r.stderr,
      truncated: r.truncated,
      at: r.recorded_at.toISOString(),
    }));
  }
}
