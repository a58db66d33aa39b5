import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { IncidentSnapshot, OutboundMessage, RegisterIncidentInput } from '../contract';
import { addressFor } from '../contract/channels';

const addressOf = (msg: OutboundMessage) => addressFor(msg.recipient, msg.channel) ?? '';

export type LedgerClaim = { claimed: true; attempts: number } | { claimed: false; status: string };

/** The incident store: every write is idempotent so activity retries are harmless. */
/** Whether pages must stop, holding the incident's row FOR SHARE until the caller's transaction ends. */
async function acknowledgedOrResolved(db: PoolClient, incidentNumber: number): Promise<boolean> {
  const { rows } = await db.query<{ stop: boolean }>(
    'SELECT (acknowledged_at IS NOT NULL OR resolved_at IS NOT NULL) AS stop FROM incidents WHERE number = $1 FOR SHARE',
    [incidentNumber],
  );
  return Boolean(rows[0]?.stop);
}

/** A message as its channel sends it: the text, and for a page the acknowledge link in it. */
export interface RenderedMessage {
  text: string;
  ackUrl?: string;
}

export class IncidentStore {
  /**
   * Sessions that hold an incident's row while a page goes out. Apart from `pool`, because the send
   * itself records its outcome through `pool`: sharing one pool could leave every session waiting on
   * itself. Bounded, and never what keeps a process alive.
   */
  private guards?: Pool;

  constructor(readonly pool: Pool) {}

  private guardPool(): Pool {
    if (!this.guards) {
      const options = (this.pool as unknown as { options: PoolConfig }).options;
      this.guards = new Pool({ ...options, max: 10, idleTimeoutMillis: 5000, allowExitOnIdle: true });
      this.guards.on('error', () => undefined);
      this.guards.on('connect', (client) => client.on('error', () => undefined));
    }
    return this.guards;
  }

  async register(input: RegisterIncidentInput): Promise<number> {
    // The no-op update makes RETURNING yield the existing row on a retried registration.
    const { rows } = await this.pool.query<{ number: string }>(
      `INSERT INTO incidents (workflow_id, first_run_id, title, severity, service, source, declared_by, declared_at, team)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (workflow_id, first_run_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
       RETURNING number`,
      [
        input.workflowId,
        input.firstRunId,
        input.title,
        input.severity,
        input.service,
        input.source,
        input.declaredBy,
        input.declaredAt,
        input.team ?? null,
      ],
    );
    return Number(rows[0]!.number);
  }

  async sync(snapshot: IncidentSnapshot): Promise<void> {
    await this.transaction(async (db) => {
      const s = snapshot.state;
      await db.query(
        `UPDATE incidents SET title=$2, severity=$3, service=$4, status=$5, phase=$6, commander=$7,
           acknowledged_by=$8, acknowledged_at=$9, escalation_level=$10, root_cause=$11, resolution=$12,
           resolved_by=$13, resolved_at=$14, team=$15, updated_at=now()
         WHERE number=$1`,
        [
          snapshot.number,
          s.title,
          s.severity,
          s.service,
          s.status,
          s.phase,
          s.commander ?? null,
          s.acknowledgedBy ?? null,
          s.acknowledgedAt ?? null,
          s.escalationLevel,
          s.rootCause ?? null,
          s.resolution ?? null,
          s.resolvedBy ?? null,
          s.resolvedAt ?? null,
          s.team ?? null,
        ],
      );
      // One statement per table, however many rows: a sync is a handful of round trips.
      const { events, phases, breaches } = snapshot;
      if (events.length)
        await db.query(
          `INSERT INTO timeline_events (incident_number, seq, at, actor, kind, text, via)
           SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[])
           ON CONFLICT DO NOTHING`,
          [
            snapshot.number,
            events.map((e) => e.seq),
            events.map((e) => e.at),
            events.map((e) => e.actor),
            events.map((e) => e.kind),
            events.map((e) => e.text),
            events.map((e) => e.via ?? null),
          ],
        );
      if (phases.length)
        await db.query(
          `INSERT INTO incident_phases (incident_number, phase, started_at, started_by, ended_at, ended_by)
           SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[])
           ON CONFLICT (incident_number, phase) DO UPDATE SET ended_at = EXCLUDED.ended_at, ended_by = EXCLUDED.ended_by`,
          [
            snapshot.number,
            phases.map((p) => p.phase),
            phases.map((p) => p.startedAt),
            phases.map((p) => p.startedBy),
            phases.map((p) => p.endedAt ?? null),
            phases.map((p) => p.endedBy ?? null),
          ],
        );
      if (breaches.length)
        await db.query(
          `INSERT INTO sla_breaches (incident_number, kind, phase, at, text)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[])
           ON CONFLICT DO NOTHING`,
          [
            snapshot.number,
            breaches.map((b) => b.kind),
            breaches.map((b) => b.phase ?? ''),
            breaches.map((b) => b.at),
            breaches.map((b) => b.text),
          ],
        );
    });
  }

  /**
   * Claims a ledger row for a message. A row already sent (or parked in the outbox) is never
   * claimed again, which is what keeps retries and restarted workers from paging twice.
   */
  async claim(msg: OutboundMessage): Promise<LedgerClaim> {
    // One statement: a new row is claimed with its first attempt, a row still 'sending' (an attempt that
    // died) gets the next; any other is settled. Escalation pages meet acknowledgements in the guard
    // (sendUnlessAcknowledged), which skips them there.
    const { rows } = await this.pool.query<{ status: string; attempts: number }>(
      `INSERT INTO pages (incident_number, dedup_key, kind, recipient, channel, address, subject, status, attempts)
       VALUES ($1,$2,$3,$4,$5,$6,$7,'sending',1)
       ON CONFLICT (incident_number, dedup_key) DO UPDATE SET attempts = pages.attempts + 1 WHERE pages.status = 'sending'
       RETURNING status, attempts`,
      [msg.incidentNumber, msg.dedupKey, msg.kind, msg.recipient.id, msg.channel, addressOf(msg), msg.subject],
    );
    if (rows[0]) return { claimed: true, attempts: rows[0].attempts };
    const existing = await this.pool.query<{ status: string }>('SELECT status FROM pages WHERE incident_number=$1 AND dedup_key=$2', [
      msg.incidentNumber,
      msg.dedupKey,
    ]);
    return { claimed: false, status: existing.rows[0]!.status };
  }

  /**
   * Sends claimed pages of one incident while holding its row FOR SHARE: an acknowledgement (an UPDATE of
   * that row) waits until the sends are done, so it is confirmed after every page already on its way,
   * never before one. Pages that find the incident acknowledged here are skipped, unsent. One hold serves
   * every channel of a batch (one session instead of one per message).
   */
  async sendUnlessAcknowledged<T>(
    incidentNumber: number,
    dedupKeys: string[],
    send: () => Promise<T>,
  ): Promise<{ sent: T } | { skipped: true }> {
    return this.transaction(async (db) => {
      if (await acknowledgedOrResolved(db, incidentNumber)) {
        await db.query(
          `UPDATE pages SET status = 'skipped' WHERE incident_number = $1 AND dedup_key = ANY($2::text[]) AND status = 'sending'`,
          [incidentNumber, dedupKeys],
        );
        return { skipped: true as const };
      }
      return { sent: await send() };
    }, this.guardPool());
  }

  /** Returns the seconds from opening to this page when it is the incident's first page sent. */
  async markSent(msg: OutboundMessage, messageId: string | undefined, rendered?: RenderedMessage): Promise<{ firstPageSeconds?: number }> {
    const { rows } = await this.pool.query<{ first: boolean; seconds: number }>(
      `WITH sent AS (
         UPDATE pages SET status='sent', sent_at=now(), message_id=$3, last_error=NULL, body=$4, ack_url=$5
         WHERE incident_number=$1 AND dedup_key=$2 RETURNING kind, sent_at)
       SELECT (sent.kind = 'page' AND NOT EXISTS (
                 SELECT 1 FROM pages p WHERE p.incident_number = $1 AND p.kind = 'page' AND p.status = 'sent' AND p.dedup_key <> $2)) AS first,
              extract(epoch FROM sent.sent_at - i.declared_at)::float8 AS seconds
       FROM sent JOIN incidents i ON i.number = $1`,
      [msg.incidentNumber, msg.dedupKey, messageId ?? null, rendered?.text ?? null, rendered?.ackUrl ?? null],
    );
    return rows[0]?.first ? { firstPageSeconds: rows[0].seconds } : {};
  }

  async markFailed(msg: OutboundMessage, error: string, permanent: boolean): Promise<void> {
    await this.pool.query(
      `UPDATE pages SET last_error=$3, status = CASE WHEN $4 THEN 'failed' ELSE status END WHERE incident_number=$1 AND dedup_key=$2`,
      [msg.incidentNumber, msg.dedupKey, error, permanent],
    );
  }

  /** Keeps a message no channel could deliver, as it would have been sent (`rendered`), acknowledge link included. */
  async toOutbox(msg: OutboundMessage, reason: string, rendered?: RenderedMessage): Promise<void> {
    const text = rendered?.text ?? msg.body;
    await this.transaction(async (db) => {
      await db.query(
        `INSERT INTO outbox (incident_number, dedup_key, channel, address, subject, body, reason) VALUES ($1,$2,$3,$4,$5,$6,$7)
         ON CONFLICT DO NOTHING`,
        [msg.incidentNumber, msg.dedupKey, msg.channel, addressOf(msg), msg.subject, text, reason],
      );
      await db.query(`UPDATE pages SET status='outbox', last_error=$3, body=$4, ack_url=$5 WHERE incident_number=$1 AND dedup_key=$2`, [
        msg.incidentNumber,
        msg.dedupKey,
        reason,
        text,
        rendered?.ackUrl ?? null,
      ]);
    });
  }

  private async transaction<T>(fn: (db: PoolClient) => Promise<T>, pool: Pool = this.pool): Promise<T> {
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const result = await fn(db);
      await db.query('COMMIT');
      return result;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      db.release();
    }
  }
}
