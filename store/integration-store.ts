/**
 * Integrations and their keys: a key is 32 random hex characters (the shape PagerDuty's routing keys
 * have), stored as its sha256; the HTTP server finds an integration by the hash of the key it is sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { HeartbeatSettings, IntegrationKind, IntegrationRecord, Severity } from '../contract';

export const newIntegrationKey = () => randomBytes(16).toString('hex');
export const integrationKeyHash = (key: string) => createHash('sha256').update(key).digest('hex');

interface Row {
  id: string;
  name: string;
  kind: IntegrationKind;
  service: string;
  rate_per_minute: number;
  created_at: Date;
  created_by: string;
  last_event_at: Date | null;
  revoked_at: Date | null;
  every_seconds: number | null;
  grace_seconds: number | null;
  severity: Severity | null;
  mapping: string | null;
}

const toRecord = (r: Row): IntegrationRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  service: r.service,
  ratePerMinute: r.rate_per_minute,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  ...(r.last_event_at ? { lastEventAt: r.last_event_at.toISOString() } : {}),
  ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
  ...(r.every_seconds !== null
    ? { heartbeat: { everySeconds: r.every_seconds, graceSeconds: r.grace_seconds ?? 0, severity: r.severity ?? 'P3' } }
    : {}),
  ...(r.mapping ? { mapping: r.mapping } : {}),
});

export class IntegrationStore {
  constructor(private readonly pool: Pool) {}

  /** A new integration and its key, shown once. */
  async create(input: {
    name: string;
    kind: IntegrationKind;
    service: string;
    ratePerMinute: number;
    createdBy: string;
    heartbeat?: HeartbeatSettings;
    mapping?: string;
  }): Promise<IntegrationRecord & { key: string }> {
    const key = newIntegrationKey();
    const h = input.heartbeat;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO integrations (id, name, kind, service, key_hash, rate_per_minute, created_by, every_seconds, grace_seconds, severity, mapping)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING *`,
      [
        `int_${randomBytes(4).toString('hex')}`,
        input.name,
        input.kind,
        input.service,
        integrationKeyHash(key),
        input.ratePerMinute,
        input.createdBy,
        h?.everySeconds ?? null,
        h?.graceSeconds ?? null,
        h?.severity ?? null,
        input.mapping ?? null,
      ],
    );
    return { ...toRecord(rows[0]!), key };
  }

  async list(): Promise<IntegrationRecord[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM integrations ORDER BY created_at, id');
    return rows.map(toRecord);
  }

  /** Undefined when there is no such integration; a revoked one stays listed, its key refused. */
  async revoke(id: string): Promise<IntegrationRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      'UPDATE integrations SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *',
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** The live integration a key belongs to. */
  async byKey(key: string): Promise<IntegrationRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM integrations WHERE key_hash = $1 AND revoked_at IS NULL', [
      integrationKeyHash(key),
    ]);
    return rows[0] && toRecord(rows[0]);
  }

  /** When it last sent an event (what `integration list` shows), at most once a minute per integration. */
  async touched(id: string): Promise<void> {
    await this.pool.query(
      "UPDATE integrations SET last_event_at = now() WHERE id = $1 AND (last_event_at IS NULL OR last_event_at < now() - interval '1 minute')",
      [id],
    );
  }
}
