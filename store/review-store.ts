import {
  SEVERITIES,
  type ActionItem,
  type Digest,
  type EndOfDaySummary,
  type GroupReport,
  type ReportGroup,
  type SeverityReport,
} from '../contract';
import type { Pool } from 'pg';

export interface DraftData {
  incident: {
    number: number;
    incident_id: string;
    title: string;
    severity: string;
    service: string;
    commander: string | null;
    declared_at: Date;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    resolved_at: Date | null;
    root_cause: string | null;
    resolution: string | null;
  };
  events: { at: Date; actor: string; kind: string; text: string }[];
  actionItems: ActionItem[];
}

const actionItemId = (id: string | number) => `A-${id}`;
type ItemRow = { id: string; incident_id: string; text: string; owner: string; due: string; status: 'open' | 'done' };
type TimesRow = {
  key: string;
  incidents: number;
  mtta_p50: number | null;
  mtta_p90: number | null;
  mttr_p50: number | null;
  mttr_p90: number | null;
};
type BreachRow = { key: string; kind: string; phase: string; n: number };
type ReviewRow = { key: string; on_time: number; late: number; missing: number; pending: number };
type CountRow = { key: string; n: number };
const rowToItem = (r: ItemRow): ActionItem => ({
  id: actionItemId(r.id),
  incidentId: r.incident_id,
  text: r.text,
  owner: r.owner,
  due: r.due,
  status: r.status,
});

export class UnknownRecordError extends Error {}

/** Post-mortems, action items and reports: all in SQL against the incident store. */
/** An action item to add: `requestId` is the caller's, so a retried add finds the first. */
export interface NewActionItem {
  incidentId: string;
  text: string;
  owner: string;
  due: string;
  by: string;
  requestId: string;
}

export class ReviewStore {
  constructor(readonly pool: Pool) {}

  async incidentNumber(incidentId: string): Promise<number> {
    const { rows } = await this.pool.query<{ number: string }>('SELECT number FROM incidents WHERE incident_id = $1', [incidentId]);
    if (!rows[0]) throw new UnknownRecordError(`no incident ${incidentId}`);
    return Number(rows[0].number);
  }

  async draftData(number: number): Promise<DraftData> {
    const incident = await this.pool.query<DraftData['incident']>('SELECT * FROM incidents WHERE number = $1', [number]);
    if (!incident.rows[0]) throw new UnknownRecordError(`no incident number ${number}`);
    const events = await this.pool.query<DraftData['events'][number]>(
      'SELECT at, actor, kind, text FROM timeline_events WHERE incident_number = $1 ORDER BY seq',
      [number],
    );
    return { incident: incident.rows[0], events: events.rows, actionItems: await this.actionItems(number) };
  }

  async actionItems(number: number): Promise<ActionItem[]> {
    const { rows } = await this.pool.query<ItemRow>(
      `SELECT a.id, i.incident_id, a.text, a.owner, to_char(a.due_date, 'YYYY-MM-DD') AS due, a.status
       FROM action_items a JOIN incidents i ON i.number = a.incident_number WHERE a.incident_number = $1 ORDER BY a.id`,
      [number],
    );
    return rows.map(rowToItem);
  }

  /** Action items, open first then by id; of one incident, or of all, optionally open ones only. */
  async listActionItems(filter: { incidentId?: string; openOnly?: boolean }): Promise<ActionItem[]> {
    const { rows } = await this.pool.query<ItemRow>(
      `SELECT a.id, i.incident_id, a.text, a.owner, to_char(a.due_date, 'YYYY-MM-DD') AS due, a.status
       FROM action_items a JOIN incidents i ON i.number = a.incident_number
       WHERE ($1::text IS NULL OR i.incident_id = $1) AND (NOT $2 OR a.status = 'open')
       ORDER BY a.status = 'done', a.due_date, a.id LIMIT 500`,
      [filter.incidentId ?? null, filter.openOnly ?? false],
    );
    return rows.map(rowToItem);
  }

  async saveDraft(number: number, dueAt: string, draft: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO postmortems (incident_number, due_at, draft) VALUES ($1, $2, $3)
       ON CONFLICT (incident_number) DO UPDATE SET draft = EXCLUDED.draft WHERE postmortems.status = 'pending'`,
      [number, dueAt, draft],
    );
  }

  async recordReminder(number: number, n: number): Promise<void> {
    await this.pool.query('UPDATE postmortems SET reminders_sent = GREATEST(reminders_sent, $2) WHERE incident_number = $1', [number, n]);
  }

  async submit(number: number, by: string, markdown: string, at: string): Promise<void> {
    await this.pool.query(
      `UPDATE postmortems SET status = 'submitted', markdown = $3, submitted_by = $2, submitted_at = COALESCE(submitted_at, $4)
       WHERE incident_number = $1`,
      [number, by, markdown, at],
    );
  }

  /** `requestId` makes a retried add return the same item instead of a second one. */
  async addActionItem(input: NewActionItem): Promise<ActionItem> {
    const number = await this.incidentNumber(input.incidentId);
    const { rows } = await this.pool.query<ItemRow>(
      // The new row comes from RETURNING: the statement's own SELECT of the table cannot see it yet.
      `WITH added AS (
         INSERT INTO action_items (incident_number, text, owner, due_date, created_by, request_id) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (request_id) DO NOTHING RETURNING id, incident_number, text, owner, due_date, status),
       item AS (
         SELECT * FROM added
         UNION ALL
         SELECT id, incident_number, text, owner, due_date, status FROM action_items WHERE request_id = $6 AND NOT EXISTS (SELECT 1 FROM added))
       SELECT a.id, i.incident_id, a.text, a.owner, to_char(a.due_date, 'YYYY-MM-DD') AS due, a.status
       FROM item a JOIN incidents i ON i.number = a.incident_number`,
      [number, input.text, input.owner, input.due, input.by, input.requestId],
    );
    return rowToItem(rows[0]!);
  }

  async completeActionItem(id: string, by: string): Promise<ActionItem> {
    const match = /^A-(\d+)$/i.exec(id.trim());
    if (!match) throw new UnknownRecordError(`"${id}" is not an action item id (expected e.g. A-7)`);
    const { rows } = await this.pool.query<ItemRow>(
      `WITH done AS (UPDATE action_items SET status = 'done', done_by = $2, done_at = now() WHERE id = $1 AND status = 'open' RETURNING id)
       SELECT a.id, i.incident_id, a.text, a.owner, to_char(a.due_date, 'YYYY-MM-DD') AS due, a.status
       FROM action_items a JOIN incidents i ON i.number = a.incident_number WHERE a.id = $1`,
      [match[1], by],
    );
    if (!rows[0]) throw new UnknownRecordError(`no action item ${id}`);
    return { ...rowToItem(rows[0]), status: 'done' };
  }

  async report(sinceSeconds: number, now: string): Promise<SeverityReport[]> {
    const figures = await this.figures(sinceSeconds, now, 'severity');
    return SEVERITIES.map((severity) => ({ severity, ...figures(severity) }));
  }

  /** The report's figures per team or service, in the order of their names. */
  async reportBy(sinceSeconds: number, now: string, by: Exclude<ReportGroup, 'severity'>): Promise<GroupReport[]> {
    const figures = await this.figures(sinceSeconds, now, by);
    return figures.keys.map((group) => ({ group, ...figures(group) }));
  }

  private async figures(sinceSeconds: number, now: string, by: ReportGroup) {
    // A column from this fixed list, never from the caller's text.
    const key = { severity: 'i.severity', team: "COALESCE(i.team, '-')", service: 'i.service' }[by];
    const scope = `WITH inc AS (SELECT * FROM incidents WHERE declared_at >= $1::timestamptz - make_interval(secs => $2))`;
    const args = [now, sinceSeconds];
    const [times, breaches, reviews, actions] = await Promise.all([
      this.pool.query<TimesRow>(
        `${scope} SELECT ${key} AS key, count(*)::int AS incidents,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - declared_at)) AS mtta_p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - declared_at)) AS mtta_p90,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - declared_at)) AS mttr_p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - declared_at)) AS mttr_p90
         FROM inc i GROUP BY 1 ORDER BY 1`,
        args,
      ),
      this.pool.query<BreachRow>(
        `${scope} SELECT ${key} AS key, b.kind, b.phase, count(*)::int AS n FROM sla_breaches b JOIN inc i ON i.number = b.incident_number GROUP BY 1, 2, 3`,
        args,
      ),
      this.pool.query<ReviewRow>(
        `${scope} SELECT ${key} AS key,
           count(*) FILTER (WHERE p.status = 'submitted' AND p.submitted_at <= p.due_at)::int AS on_time,
           count(*) FILTER (WHERE p.status = 'submitted' AND p.submitted_at > p.due_at)::int AS late,
           count(*) FILTER (WHERE p.status = 'pending' AND p.due_at < $1::timestamptz)::int AS missing,
           count(*) FILTER (WHERE p.status = 'pending' AND p.due_at >= $1::timestamptz)::int AS pending
         FROM postmortems p JOIN inc i ON i.number = p.incident_number GROUP BY 1`,
        args,
      ),
      this.pool.query<CountRow>(
        `${scope} SELECT ${key} AS key, count(*)::int AS n FROM action_items a JOIN inc i ON i.number = a.incident_number WHERE a.status = 'open' GROUP BY 1`,
        args,
      ),
    ]);
    const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
    const of = (group: string): Omit<SeverityReport, 'severity'> => {
      const t = times.rows.find((r) => r.key === group);
      const b = breaches.rows.filter((r) => r.key === group);
      const r = reviews.rows.find((x) => x.key === group);
      const a = actions.rows.find((x) => x.key === group);
      return {
        incidents: t?.incidents ?? 0,
        mttaSeconds: { p50: num(t?.mtta_p50), p90: num(t?.mtta_p90) },
        mttrSeconds: { p50: num(t?.mttr_p50), p90: num(t?.mttr_p90) },
        slaBreaches: {
          ack: b.filter((x) => x.kind === 'ack').reduce((s, x) => s + x.n, 0),
          byPhase: Object.fromEntries(b.filter((x) => x.kind === 'phase').map((x) => [x.phase, x.n])),
          statusPage: b.filter((x) => x.kind === 'status-page').reduce((s, x) => s + x.n, 0),
        },
        postMortems: { onTime: r?.on_time ?? 0, late: r?.late ?? 0, missing: r?.missing ?? 0, pending: r?.pending ?? 0 },
        openActionItems: a?.n ?? 0,
      };
    };
    return Object.assign(of, { keys: times.rows.map((r) => r.key) });
  }

  async digest(now: string): Promise<Digest> {
    const reviews = await this.pool.query(
      `SELECT i.incident_id, i.title, p.due_at, p.reminders_sent FROM postmortems p JOIN incidents i ON i.number = p.incident_number
       WHERE p.status = 'pending' ORDER BY p.due_at`,
    );
    const overdueItems = await this.pool.query<ItemRow>(
      `SELECT a.id, i.incident_id, a.text, a.owner, to_char(a.due_date, 'YYYY-MM-DD') AS due, a.status
       FROM action_items a JOIN incidents i ON i.number = a.incident_number
       WHERE a.status = 'open' AND a.due_date < ($1::timestamptz)::date ORDER BY a.due_date, a.id`,
      [now],
    );
    const nowMs = Date.parse(now);
    type Row = { incident_id: string; title: string; due_at: Date; reminders_sent: number };
    const rows = reviews.rows as Row[];
    return {
      openReviews: rows
        .filter((r) => r.due_at.getTime() >= nowMs)
        .map((r) => ({ incidentId: r.incident_id, title: r.title, dueAt: r.due_at.toISOString() })),
      overduePostMortems: rows
        .filter((r) => r.due_at.getTime() < nowMs)
        .map((r) => ({ incidentId: r.incident_id, title: r.title, dueAt: r.due_at.toISOString(), remindersSent: r.reminders_sent })),
      overdueActionItems: overdueItems.rows.map(rowToItem),
    };
  }

  /**
   * The end-of-day summary at `now` in `timeZone`: open incidents, those resolved since local midnight,
   * overdue post-mortems and action items (the digest's).
   */
  async endOfDay(now: string, timeZone: string): Promise<EndOfDaySummary> {
    const open = await this.pool.query<{ incident_id: string; title: string; severity: string; phase: string; declared_at: Date }>(
      `SELECT incident_id, title, severity, phase, declared_at FROM incidents WHERE status <> 'resolved' ORDER BY severity, declared_at`,
    );
    const resolved = await this.pool.query<{ incident_id: string; title: string; severity: string; resolved_at: Date }>(
      `SELECT incident_id, title, severity, resolved_at FROM incidents
       WHERE resolved_at IS NOT NULL AND resolved_at <= $1::timestamptz
         AND resolved_at >= (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) ORDER BY resolved_at`,
      [now, timeZone],
    );
    const digest = await this.digest(now);
    return {
      date: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now)),
      open: open.rows.map((r) => ({
        incidentId: r.incident_id,
        title: r.title,
        severity: r.severity,
        phase: r.phase,
        declaredAt: r.declared_at.toISOString(),
      })),
      resolvedToday: resolved.rows.map((r) => ({
        incidentId: r.incident_id,
        title: r.title,
        severity: r.severity,
        resolvedAt: r.resolved_at.toISOString(),
      })),
      overduePostMortems: digest.overduePostMortems.map(({ incidentId, title, dueAt }) => ({ incidentId, title, dueAt })),
      overdueActionItems: digest.overdueActionItems.map(({ id, incidentId, text, owner, due }) => ({ id, incidentId, text, owner, due })),
    };
  }
}
