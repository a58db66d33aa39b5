import type { OnCallAnswer, Override } from '../contract';
import type { Pool } from 'pg';
import { onCallAt } from '../policy/oncall';
import { scheduleAt, type ShiftOverride } from '../policy/schedules';
import { NOBODY, type ResponsePolicy } from '../policy/schema';
import type { Schedule } from '../policy/teams-schema';

export interface NewOverride {
  contactId: string;
  from: string;
  to: string;
  by: string;
  /** The request's workflow id: a retried add adds one override. */
  requestId: string;
  /** A team's schedule; absent: the single-team rotation. */
  schedule?: string;
}

/** The rotation, with overrides from the store on top: the latest override covering a moment wins. */
export class OnCallStore {
  constructor(readonly pool: Pool) {}

  async whoAt(policy: Pick<ResponsePolicy, 'oncall'>, atMs: number): Promise<{ now: OnCallAnswer; next: OnCallAnswer }> {
    const shift = onCallAt(policy, atMs);
    const answer = async (at: number, fallback: { contactId: string; from: string; to: string }): Promise<OnCallAnswer> => {
      const o = await this.overrideAt('', at);
      if (o) return { contactId: o.contact_id, source: 'override', from: o.starts_at.toISOString(), to: o.ends_at.toISOString() };
      if (fallback.contactId === NOBODY) return { source: 'gap', from: fallback.from, to: fallback.to };
      return { contactId: fallback.contactId, source: 'rotation', from: fallback.from, to: fallback.to };
    };
    return { now: await answer(atMs, shift.now), next: await answer(Date.parse(shift.now.to), shift.next) };
  }

  /** A team's schedule (policy.schedules), with its own overrides on top. */
  async whoOnSchedule(schedule: Schedule, atMs: number): Promise<OnCallAnswer> {
    const o = await this.overrideAt(schedule.id, atMs);
    if (o) return { contactId: o.contact_id, source: 'override', from: o.starts_at.toISOString(), to: o.ends_at.toISOString() };
    const shift = scheduleAt(schedule, atMs);
    const bounds = { from: new Date(shift.from).toISOString(), to: new Date(shift.to).toISOString() };
    return shift.contactId ? { contactId: shift.contactId, source: 'rotation', ...bounds } : { source: 'gap', ...bounds };
  }

  /** The latest override covering a moment, for the single rotation ('') or a schedule. */
  private async overrideAt(scheduleId: string, atMs: number) {
    const { rows } = await this.pool.query<{ contact_id: string; starts_at: Date; ends_at: Date }>(
      `SELECT contact_id, starts_at, ends_at FROM oncall_overrides
        WHERE schedule_id = $2 AND starts_at <= $1 AND ends_at > $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [new Date(atMs).toISOString(), scheduleId],
    );
    return rows[0];
  }

  async addOverride(input: NewOverride): Promise<Override> {
    const { rows } = await this.pool.query<OverrideRow>(
      `WITH added AS (
         INSERT INTO oncall_overrides (contact_id, starts_at, ends_at, created_by, request_id, schedule_id) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (request_id) DO NOTHING RETURNING *)
       SELECT * FROM added UNION ALL SELECT * FROM oncall_overrides WHERE request_id = $5 LIMIT 1`,
      [input.contactId, input.from, input.to, input.by, input.requestId, input.schedule ?? ''],
    );
    return toOverride(rows[0]!);
  }

  /**
   * Each schedule's overrides that touch a window, oldest first (the newest covering a moment wins, as in
   * `whoOnSchedule`): what `schedule show` and the calendar feeds lay over the layers.
   */
  async overridesOn(scheduleIds: string[], fromMs: number, toMs: number): Promise<Record<string, ShiftOverride[]>> {
    const { rows } = await this.pool.query<{ schedule_id: string; contact_id: string; starts_at: Date; ends_at: Date }>(
      `SELECT schedule_id, contact_id, starts_at, ends_at FROM oncall_overrides
        WHERE schedule_id = ANY($1) AND ends_at > $2 AND starts_at < $3 ORDER BY created_at, id`,
      [scheduleIds, new Date(fromMs), new Date(toMs)],
    );
    const by: Record<string, ShiftOverride[]> = {};
    for (const r of rows)
      (by[r.schedule_id] ??= []).push({ contactId: r.contact_id, from: r.starts_at.getTime(), to: r.ends_at.getTime() });
    return by;
  }

  /** Overrides in force at `atMs` or later, soonest first. */
  async listOverrides(atMs: number): Promise<Override[]> {
    const { rows } = await this.pool.query<OverrideRow>('SELECT * FROM oncall_overrides WHERE ends_at > $1 ORDER BY starts_at, id', [
      new Date(atMs),
    ]);
    return rows.map(toOverride);
  }

  /** Undefined when there is no such override. */
  async deleteOverride(id: string): Promise<Override | undefined> {
    const number = /^O-(\d+)$/i.exec(id)?.[1];
    if (!number) return undefined;
    const { rows } = await this.pool.query<OverrideRow>('DELETE FROM oncall_overrides WHERE id = $1 RETURNING *', [number]);
    return rows[0] && toOverride(rows[0]);
  }
}

type OverrideRow = { id: string; contact_id: string; starts_at: Date; ends_at: Date; created_by: string; schedule_id: string };
const toOverride = (r: OverrideRow): Override => ({
  id: `O-${r.id}`,
  contactId: r.contact_id,
  from: r.starts_at.toISOString(),
  to: r.ends_at.toISOString(),
  createdBy: r.created_by,
  ...(r.schedule_id ? { schedule: r.schedule_id } : {}),
});
