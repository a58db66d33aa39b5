/**
 * Metrics a team charts and alerts on, read from the store when Prometheus scrapes: open incidents by
 * severity and status, the outbox (messages no channel could deliver) and its oldest age, SLA breaches,
 * time to acknowledge and resolve, runbook steps by outcome, Slack posts. One query each, on the HTTP server's pool.
 */
import type { Pool } from 'pg';
import { Gauge, Registry } from 'prom-client';

/** The owning team as a label; incidents of single-team policies (and before teams) have none, so their series stay as they were. */
const byTeam = (team: string | null): { team?: string } => (team ? { team } : {});

export function createStoreMetrics(pool: Pool): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], read: (g: Gauge<L>) => Promise<void>) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        await read(this);
      },
    });

  gauge('incidents_open', 'Incidents not yet resolved, by severity, status and owning team', ['severity', 'status', 'team'], async (g) => {
    const { rows } = await pool.query<{ severity: string; status: string; team: string | null; n: number }>(
      "SELECT severity, status, team, count(*)::int AS n FROM incidents WHERE status <> 'resolved' GROUP BY 1, 2, 3",
    );
    for (const r of rows) g.set({ severity: r.severity, status: r.status, ...byTeam(r.team) }, r.n);
  });
  gauge('outbox_messages', 'Messages kept in the outbox: no channel could deliver them (no SMTP or Twilio, or refused)', [], async (g) => {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
    g.set(rows[0]!.n);
  });
  gauge('outbox_oldest_age_seconds', 'Age of the oldest message in the outbox (0 when empty)', [], async (g) => {
    const { rows } = await pool.query<{ s: number | null }>('SELECT extract(epoch FROM now() - min(created_at))::float AS s FROM outbox');
    g.set(rows[0]!.s ?? 0);
  });
  gauge(
    'sla_breaches',
    'SLA breaches recorded, by kind (ack, phase, status-page), severity and owning team',
    ['kind', 'severity', 'team'],
    async (g) => {
      const { rows } = await pool.query<{ kind: string; severity: string; team: string | null; n: number }>(
        'SELECT b.kind, i.severity, i.team, count(*)::int AS n FROM sla_breaches b JOIN incidents i ON i.number = b.incident_number GROUP BY 1, 2, 3',
      );
      for (const r of rows) g.set({ kind: r.kind, severity: r.severity, ...byTeam(r.team) }, r.n);
    },
  );
  gauge(
    'incident_time_to_seconds',
    'Median and 90th percentile time to acknowledge and to resolve over the last 30 days, by severity and owning team',
    ['what', 'quantile', 'severity', 'team'],
    async (g) => {
      const { rows } = await pool.query<{ severity: string; team: string | null; a50: number; a90: number; r50: number; r90: number }>(
        `SELECT severity, team,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - declared_at)) AS a50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - declared_at)) AS a90,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - declared_at)) AS r50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - declared_at)) AS r90
         FROM incidents WHERE declared_at > now() - interval '30 days' GROUP BY 1, 2`,
      );
      for (const r of rows) {
        const set = (what: string, quantile: string, v: number | null) =>
          v !== null && g.set({ what, quantile, severity: r.severity, ...byTeam(r.team) }, v);
        set('acknowledge', '0.5', r.a50);
        set('acknowledge', '0.9', r.a90);
        set('resolve', '0.5', r.r50);
        set('resolve', '0.9', r.r90);
      }
    },
  );
  gauge(
    'escalation_levels_paged',
    'Incidents that paged each escalation level (0 = on-call; manual escalations included)',
    ['level'],
    async (g) => {
      const { rows } = await pool.query<{ level: string; n: number }>(
        `SELECT level, count(DISTINCT incident_number)::int AS n FROM (
         SELECT incident_number, substring(dedup_key from '^page:[cm][0-9]+-l([0-9]+)') AS level FROM pages WHERE kind = 'page'
       ) p WHERE level IS NOT NULL GROUP BY 1`,
      );
      for (const r of rows) g.set({ level: r.level }, r.n);
    },
  );
  gauge('runbook_steps', 'Runbook steps recorded as evidence, by outcome (succeeded, failed, timed-out)', ['outcome'], async (g) => {
    const { rows } = await pool.query<{ outcome: string; n: number }>(
      `SELECT CASE WHEN timed_out THEN 'timed-out' WHEN exit_code = 0 THEN 'succeeded' ELSE 'failed' END AS outcome, count(*)::int AS n
       FROM runbook_evidence GROUP BY 1`,
    );
    for (const r of rows) g.set({ outcome: r.outcome }, r.n);
  });
  gauge(
    'slack_posts',
    'Slack posts in the chat ledger, by status (posted; failed: refused by Slack; posting: on the wire)',
    ['status'],
    async (g) => {
      const { rows } = await pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM chat_posts GROUP BY 1');
      for (const r of rows) g.set({ status: r.status }, r.n);
    },
  );
  gauge(
    'slack_posts_stuck',
    'Slack posts claimed over 10 minutes ago and never confirmed (Slack or the worker in trouble)',
    [],
    async (g) => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM chat_posts WHERE status = 'posting' AND updated_at < now() - interval '10 minutes'`,
      );
      g.set(rows[0]!.n);
    },
  );
  return registry;
}
