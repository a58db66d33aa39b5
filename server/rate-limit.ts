/**
 * Fixed-window counters per key (a client address, an email address, "all"), in memory: each HTTP
 * server limits what strangers cost it. Bounded: past `maxKeys` the oldest windows are forgotten.
 */
export class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one for `key`: false (and nothing counted) once the key has had `limit` in this window. */
  take(key: string, nowMs = Date.now()): boolean {
    const w = this.windows.get(key);
    if (!w || nowMs - w.start >= this.windowMs) {
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      this.windows.delete(key);
      this.windows.set(key, { start: nowMs, count: 1 });
      return true;
    }
    if (w.count >= this.limit) return false;
    w.count++;
    return true;
  }

  /** Whether `key` has had its `limit` in the current window (without counting one). */
  exhausted(key: string, nowMs = Date.now()): boolean {
    const w = this.windows.get(key);
    return Boolean(w && nowMs - w.start < this.windowMs && w.count >= this.limit);
  }

  /** Seconds until `key` may go again (for Retry-After). */
  retryAfter(key: string, nowMs = Date.now()): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.start + this.windowMs - nowMs) / 1000)) : 1;
  }
}

/** The mailbox behind an address: plus-addressing (`me+1@x`, `me+2@x`) is one inbox. */
export const mailbox = (email: string) => {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  return `${local.split('+')[0]}@${domain}`;
};
