/**
 * Proofs of who acts (signed by the HTTP server, checked by workers) and personal API tokens (stored
 * hashed: a token is 256 random bits, so SHA-256 is enough and a leaked table reveals none).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import {
  PROOF_TTL_MS,
  canonicalArgs,
  proofPayload,
  type ActorProof,
  type ProvenAct,
  type ApiTokenRecord,
  type VerifiedBy,
} from '../contract';

export type { ApiTokenRecord };

const hmac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
export const argsDigest = (args: object) => createHash('sha256').update(canonicalArgs(args)).digest('hex');

/** Signs `action` with these exact `args` on one workflow as done by `person`, verified `via`. */
export function signProof(
  secret: string,
  p: { person: string; via: VerifiedBy; action: ProvenAct; workflowId: string; incidentId: string; args: object },
  nowMs = Date.now(),
): ActorProof {
  const unsigned = {
    person: p.person,
    via: p.via,
    action: p.action,
    workflowId: p.workflowId,
    incidentId: p.incidentId,
    digest: argsDigest(p.args),
    at: nowMs,
    nonce: randomBytes(12).toString('base64url'),
  };
  return { ...unsigned, sig: hmac(secret, proofPayload(unsigned)) };
}

/** Why a proof does not hold for this action, workflow and arguments, or undefined when it does. */
export function proofProblem(
  secret: string,
  proof: ActorProof,
  expected: { action: ProvenAct; workflowId: string; incidentId: string; args: object },
  nowMs = Date.now(),
): string | undefined {
  if (!proof || typeof proof !== 'object' || typeof proof.sig !== 'string') return 'the proof of identity is malformed';
  const wanted = Buffer.from(hmac(secret, proofPayload(proof)));
  const given = Buffer.from(proof.sig);
  if (wanted.length !== given.length || !timingSafeEqual(wanted, given)) return 'the proof of identity has an invalid signature';
  if (proof.action !== expected.action) return `the proof of identity is for "${proof.action}", not "${expected.action}"`;
  if (proof.workflowId !== expected.workflowId || proof.incidentId !== expected.incidentId)
    return 'the proof of identity is for another incident';
  if (proof.digest !== argsDigest(expected.args)) return 'the proof of identity is for other arguments';
  if (Math.abs(nowMs - proof.at) > PROOF_TTL_MS) return 'the proof of identity has expired';
  return undefined;
}

// ---- personal API tokens ----

export const TOKEN_PREFIX = 'inc_';
export const newToken = () => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

type Row = {
  id: string;
  person: string;
  label: string;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
};
const toRecord = (r: Row): ApiTokenRecord => ({
  id: r.id,
  person: r.person,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at?.toISOString(),
  revokedAt: r.revoked_at?.toISOString(),
});

export class TokenStore {
  constructor(private readonly pool: Pool) {}

  /** Stores only the hash; idempotent on `id`, so a retried request creates one token. */
  async create(input: { id: string; person: string; label: string; hash: string; createdBy: string }): Promise<ApiTokenRecord> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO api_tokens (id, person, label, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING *`,
      [input.id, input.person, input.label, input.hash, input.createdBy],
    );
    return toRecord(rows[0]!);
  }

  async list(person?: string): Promise<ApiTokenRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM api_tokens WHERE ($1::text IS NULL OR person = $1) ORDER BY created_at DESC',
      [person ?? null],
    );
    return rows.map(toRecord);
  }

  /** Undefined when there is no such token (or it is someone else's, when `person` is given). */
  async revoke(id: string, person?: string): Promise<ApiTokenRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
       WHERE id = $1 AND ($2::text IS NULL OR person = $2) RETURNING *`,
      [id, person ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Whether any of these people holds a live token (the first admin is bootstrapped only while none does). */
  async anyLiveTokenOf(persons: readonly string[]): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM api_tokens WHERE person = ANY($1) AND revoked_at IS NULL LIMIT 1', [persons]);
    return rows.length > 0;
  }

  /**
   * Makes `hash` the pending bootstrap code unless an unexpired one is pending already (another HTTP
   * server offered it first): true when this one is now the code to hand out.
   */
  async offerBootstrap(hash: string, ttlMs: number): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO admin_bootstrap (id, code_hash, expires_at) VALUES (1, $1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at
       WHERE admin_bootstrap.expires_at < now() RETURNING id`,
      [hash, ttlMs],
    );
    return rows.length > 0;
  }

  /** Uses up the pending bootstrap code if `hash` is it and it has not expired: once, whoever asks. */
  async redeemBootstrap(hash: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      'DELETE FROM admin_bootstrap WHERE id = 1 AND code_hash = $1 AND expires_at > now() RETURNING id',
      [hash],
    );
    return rows.length > 0;
  }

  /** The person a live token belongs to, or undefined. */
  async authenticate(token: string): Promise<{ id: string; person: string } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const { rows } = await this.pool.query<{ id: string; person: string }>(
      `UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id, person`,
      [tokenHash(token)],
    );
    return rows[0];
  }
}
