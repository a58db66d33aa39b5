/**
 * Status page subscribers: email with double opt-in. Links in their emails (confirm, unsubscribe) are
 * HMAC-signed with the acknowledge-link secret, which the HTTP server and the workers both hold, so no
 * link token is stored; confirmation links expire, unsubscribe links do not.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';

export type SubscriptionPurpose = 'confirm' | 'unsubscribe';
const CONFIRM_TTL_S = 48 * 3600;
/** One confirmation email per address per this long: the form cannot be used to flood an inbox. */
export const CONFIRMATION_EVERY_MS = 3600_000;

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`subscription:${payload}`).digest('base64url');

/** `<id>.<expiry or 0>.<mac>` for `purpose`. */
export function subscriptionToken(secret: string, purpose: SubscriptionPurpose, id: number, nowMs = Date.now()): string {
  const expires = purpose === 'confirm' ? Math.floor(nowMs / 1000) + CONFIRM_TTL_S : 0;
  return `${id}.${expires}.${mac(secret, `${purpose}:${id}:${expires}`)}`;
}

/** The subscriber id a token names, or why it is refused. */
export function checkSubscriptionToken(
  secret: string,
  purpose: SubscriptionPurpose,
  token: string,
  nowMs = Date.now(),
): { id: number } | { problem: string } {
  const [id, expires, given, extra] = token.split('.');
  if (!id || !/^\d+$/.test(id) || !expires || !/^\d+$/.test(expires) || !given || extra !== undefined) return { problem: 'malformed link' };
  const wanted = Buffer.from(mac(secret, `${purpose}:${id}:${expires}`));
  if (wanted.length !== Buffer.from(given).length || !timingSafeEqual(wanted, Buffer.from(given))) return { problem: 'invalid link' };
  if (Number(expires) !== 0 && Number(expires) * 1000 < nowMs) return { problem: 'this link has expired: subscribe again' };
  return { id: Number(id) };
}

export class SubscriberStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Records a pending subscription (again, after an unsubscribe); `sendConfirmation` says whether a
   * confirmation email may go now. Already confirmed addresses get none.
   */
  async subscribe(email: string, nowMs = Date.now()): Promise<{ id: number; sendConfirmation: boolean }> {
    const { rows } = await this.pool.query<{ id: string; send: boolean }>(
      `INSERT INTO status_subscribers (email) VALUES ($1)
       ON CONFLICT (email) DO UPDATE SET
         confirmed_at = CASE WHEN status_subscribers.unsubscribed_at IS NULL THEN status_subscribers.confirmed_at END,
         unsubscribed_at = NULL
       RETURNING id, (confirmed_at IS NULL AND (confirmation_sent_at IS NULL OR confirmation_sent_at < $2)) AS send`,
      [email.toLowerCase(), new Date(nowMs - CONFIRMATION_EVERY_MS)],
    );
    const row = rows[0]!;
    if (row.send) await this.pool.query('UPDATE status_subscribers SET confirmation_sent_at = now() WHERE id = $1', [row.id]);
    return { id: Number(row.id), sendConfirmation: row.send };
  }

  async confirm(id: number): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ email: string }>(
      'UPDATE status_subscribers SET confirmed_at = COALESCE(confirmed_at, now()) WHERE id = $1 AND unsubscribed_at IS NULL RETURNING email',
      [id],
    );
    return rows[0]?.email;
  }

  async unsubscribe(id: number): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ email: string }>(
      'UPDATE status_subscribers SET unsubscribed_at = COALESCE(unsubscribed_at, now()) WHERE id = $1 RETURNING email',
      [id],
    );
    return rows[0]?.email;
  }

  async confirmed(): Promise<{ id: number; email: string }[]> {
    const { rows } = await this.pool.query<{ id: string; email: string }>(
      'SELECT id, email FROM status_subscribers WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL ORDER BY id',
    );
    return rows.map((r) => ({ id: Number(r.id), email: r.email }));
  }
}
