import { durationMs } from '../policy/duration';
import type { ResponsePolicy } from '../policy/schema';
import type { Severity } from '../contract';

/** One level of the path to page in one cycle; cycle 0 is the first pass, later cycles are repeats. */
export interface EscalationEntry {
  key: string;
  cycle: number;
  level: number;
  atMs: number;
}

export function escalationKey(cycle: number, level: number): string {
  return `c${cycle}-l${level}`;
}

/** Levels of the path that apply to a severity (the CEO level is P0 only in the plan). */
export function levelsFor(policy: ResponsePolicy, severity: Severity): number[] {
  return policy.escalation.levels.flatMap((level, index) => (!level.severities || level.severities.includes(severity) ? [index] : []));
}

/**
 * The escalation schedule relative to declaration. Level 0 is paged at once. The next level
 * is paged when the severity's ack SLA expires, and each later level keeps the plan's gap
 * from that one (engineering lead at 15m, CTO at 30m, CEO at 60m for a P1-sized SLA).
 * Severities marked pageAllLevels (P0) page every level at once. After the last level the
 * whole path is paged again, `repeat.times` times, every `repeat.interval`.
 *
 * Plans are recomputed from scratch when severity changes; entries already paged are
 * skipped by key, so re-planning never pages a level twice in one cycle.
 */
export function planEscalation(policy: ResponsePolicy, severity: Severity, declaredAtMs: number): EscalationEntry[] {
  const levels = levelsFor(policy, severity);
  const rule = policy.severities[severity];
  const slaMs = durationMs(rule.ackSla);
  const { times, interval } = policy.escalation.repeat;
  const intervalMs = durationMs(interval);
  const firstEscalatedAfter = levels.length > 1 ? durationMs(policy.escalation.levels[levels[1]!]!.after) : 0;

  const offsets = levels.map((level, i) => {
    if (rule.pageAllLevels || i === 0) return 0;
    return slaMs + durationMs(policy.escalation.levels[level]!.after) - firstEscalatedAfter;
  });
  const entries: EscalationEntry[] = levels.map((level, i) => ({
    key: escalationKey(0, level),
    cycle: 0,
    level,
    atMs: declaredAtMs + offsets[i]!,
  }));
  const lastOffset = Math.max(...offsets);
  for (let cycle = 1; cycle <= times; cycle++) {
    for (const level of levels) {
      entries.push({ key: escalationKey(cycle, level), cycle, level, atMs: declaredAtMs + lastOffset + cycle * intervalMs });
    }
  }
  return entries.sort((a, b) => a.atMs - b.atMs || a.level - b.level);
}

/** Past this lateness, overdue pages are a catch-up after a gap (worker or Temporal down, a clock jump). */
export const CATCH_UP_AFTER_MS = 5_000;

/** When an entry may be paged: its time, but never sooner than the repeat interval after its level's last page. */
export function effectiveAt(entry: EscalationEntry, lastPagedAtMs: Record<string, number>, intervalMs: number): number {
  const last = lastPagedAtMs[entry.level];
  return last === undefined ? entry.atMs : Math.max(entry.atMs, last + intervalMs);
}

export interface DueEscalations {
  /** Entries to page now: after a gap one per level (its latest), in level order, on-call first. */
  page: EscalationEntry[];
  /** Every entry settled now: those paged and those collapsed into them. All are marked paged. */
  settled: EscalationEntry[];
  /** Set when paging was held up: the time the earliest overdue entry was due. */
  heldUpSinceMs?: number;
}

/**
 * What is due at `nowMs`. On time, that is the entries whose time has come (P0: every level at once).
 * After a gap, each overdue level is paged once, repeats of earlier cycles collapsed into it, and nobody
 * is paged again within the repeat interval (`effectiveAt`). Keys stay those of `planEscalation`.
 */
export function dueEscalations(
  plan: EscalationEntry[],
  paged: readonly string[],
  nowMs: number,
  lastPagedAtMs: Record<string, number>,
  intervalMs: number,
): DueEscalations {
  const overdue = plan.filter((e) => !paged.includes(e.key) && effectiveAt(e, lastPagedAtMs, intervalMs) <= nowMs);
  if (overdue.length === 0) return { page: [], settled: [] };
  const earliest = Math.min(...overdue.map((e) => effectiveAt(e, lastPagedAtMs, intervalMs)));
  const latestPerLevel = new Map<number, EscalationEntry>();
  for (const e of overdue) {
    const kept = latestPerLevel.get(e.level);
    if (!kept || e.cycle > kept.cycle) latestPerLevel.set(e.level, e);
  }
  const page = [...latestPerLevel.values()].sort((a, b) => a.level - b.level);
  return { page, settled: overdue, ...(nowMs - earliest > CATCH_UP_AFTER_MS ? { heldUpSinceMs: earliest } : {}) };
}

/** The next entry to page and when, honouring the repeat interval after each level's last page. */
export function nextEscalation(
  plan: EscalationEntry[],
  paged: readonly string[],
  lastPagedAtMs: Record<string, number>,
  intervalMs: number,
): { entry: EscalationEntry; atMs: number } | undefined {
  return plan
    .filter((e) => !paged.includes(e.key))
    .map((entry) => ({ entry, atMs: effectiveAt(entry, lastPagedAtMs, intervalMs) }))
    .sort((a, b) => a.atMs - b.atMs || a.entry.level - b.entry.level)[0];
}
