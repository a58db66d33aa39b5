import type { Pool } from 'pg';
import type { InboxMessage } from '../contract';

type Row = {
  incident_id: string;
  kind: string;
  recipient: string;
  channel: string;
  address: string;
  subject: string;
  body: string | null;
  ack_url: string | null;
  status: 'sent' | 'outbox';
  reason: string | null;
  at: Date;
};

/** Reads what the ledger sent or kept: newest first, for one person or everyone, one incident or all. */
export class InboxStore {
  constructor(private readonly pool: Pool) {}

  async messages(filter: { recipient?: string; incidentId?: string; limit: number }): Promise<InboxMessage[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT i.incident_id, p.kind, p.recipient, p.channel, p.address, p.subject, COALESCE(p.body, o.body) AS body, p.ack_url,
              p.status, o.reason, COALESCE(p.sent_at, o.created_at, p.created_at) AS at
       FROM pages p
       JOIN incidents i ON i.number = p.incident_number
       LEFT JOIN outbox o ON o.incident_number = p.incident_number AND o.dedup_key = p.dedup_key
       WHERE p.status IN ('sent', 'outbox') AND ($1::text IS NULL OR p.recipient = $1) AND ($2::text IS NULL OR i.incident_id = $2)
       ORDER BY at DESC
       LIMIT $3`,
      [filter.recipient ?? null, filter.incidentId ?? null, filter.limit],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      kind: r.kind,
      recipient: r.recipient,
      channel: r.channel,
      address: r.address,
      subject: r.subject,
      ...(r.body !== null ? { body: r.body } : {}),
      ...(r.ack_url !== null ? { ackUrl: r.ack_url } : {}),
      status: r.status,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      at: r.at.toISOString(),
    }));
  }
}
