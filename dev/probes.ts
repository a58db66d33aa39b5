/**
 * What the cluster script, its smoke test, the benchmarks and the drill all measure with: waiting for a
 * condition, nearest-rank percentiles, and the count of pages that came too soon after the previous one.
 */

/** Polls until `probe` gives a value (not undefined or false); fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The nearest-rank percentile `p` (0-100) of `values`; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

/**
 * Pages that reached someone sooner than `withinMs` after their previous one under the same key (a
 * person, or a person and an incident): duplicates, where a repeat or a catch-up comes later by plan.
 */
export function pagesSoonerThan<M extends { to: string[]; receivedAt: number }>(
  mails: M[],
  keyOf: (to: string, mail: M) => string,
  withinMs: number,
): number {
  const times = new Map<string, number[]>();
  for (const m of mails)
    for (const to of m.to) {
      const key = keyOf(to, m);
      times.set(key, [...(times.get(key) ?? []), m.receivedAt]);
    }
  let count = 0;
  for (const list of times.values()) {
    const sorted = list.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! < withinMs) count++;
  }
  return count;
}
