/**
 * The chat ledger: a row per Slack post, claimed before it is sent (the pages ledger's rule). A row
 * posted is never posted again, only updated; a row still 'posting' is an attempt that died and is
 * claimed by the next. Also: which incident a channel belongs to, and Slack requests already acted on.
 */
import type { Pool } from 'pg';

export interface ChatPost {
  status: 'posting' | 'posted' | 'failed';
  channel: string | null;
  ts: string | null;
  /** What the message last said (its text and blocks, as JSON): an update is sent only when it changes. */
  content: string | null;
}

/**
 * claimed: this call may post. `since` is set when it took over the claim of an attempt that died:
 * that attempt may have posted before it could say so, so look for its post (made after `since`) first.
 */
export type ChatClaim = { claimed: true; since?: Date } | { claimed: false; post: ChatPost };

export class ChatLedger {
  constructor(readonly pool: Pool) {}

  async get(scope: string, key: string): Promise<ChatPost | undefined> {
    const { rows } = await this.pool.query<ChatPost>('SELECT status, channel, ts, content FROM chat_posts WHERE scope = $1 AND key = $2', [
      scope,
      key,
    ]);
    return rows[0];
  }

  async claim(scope: string, key: string): Promise<ChatClaim> {
    const { rows } = await this.pool.query<{ attempts: number; created_at: Date }>(
      `INSERT INTO chat_posts (scope, key, status) VALUES ($1, $2, 'posting')
       ON CONFLICT (scope, key) DO UPDATE SET attempts = chat_posts.attempts + 1, updated_at = now() WHERE chat_posts.status = 'posting'
       RETURNING attempts, created_at`,
      [scope, key],
    );
    if (rows[0]) return rows[0].attempts > 1 ? { claimed: true, since: rows[0].created_at } : { claimed: true };
    return { claimed: false, post: (await this.get(scope, key))! };
  }

  async posted(scope: string, key: string, channel: string, ts: string, content: string): Promise<void> {
    await this.pool.query(
      `UPDATE chat_posts SET status = 'posted', channel = $3, ts = $4, content = $5, last_error = NULL, updated_at = now() WHERE scope = $1 AND key = $2`,
      [scope, key, channel, ts, content],
    );
  }

  async updated(scope: string, key: string, content: string): Promise<void> {
    await this.pool.query('UPDATE chat_posts SET content = $3, updated_at = now() WHERE scope = $1 AND key = $2', [scope, key, content]);
  }

  /** Refused for good (a channel Slack does not know): not tried again. */
  async failed(scope: string, key: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE chat_posts SET status = 'failed', last_error = $3, updated_at = now() WHERE scope = $1 AND key = $2`, [
      scope,
      key,
      error,
    ]);
  }

  /** The incident number whose own channel (or #incidents thread) this is. */
  async incidentOfChannel(channel: string, threadTs?: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ scope: string }>(
      `SELECT scope FROM chat_posts WHERE key = 'home' AND status = 'posted' AND channel = $1 AND ($2::text IS NULL OR ts = '' OR ts = $2)
       ORDER BY (ts = '') DESC LIMIT 1`,
      [channel, threadTs ?? null],
    );
    return rows[0] ? Number(rows[0].scope) : undefined;
  }

  /** Records a request's signature; false when it was seen before (a replay). Old entries go after a day. */
  async firstSight(signature: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('INSERT INTO slack_requests_seen (signature) VALUES ($1) ON CONFLICT DO NOTHING', [
      signature,
    ]);
    if (Math.random() < 0.01) await this.pool.query(`DELETE FROM slack_requests_seen WHERE seen_at < now() - interval '1 day'`);
    return rowCount === 1;
  }
}
