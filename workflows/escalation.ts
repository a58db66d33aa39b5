import { durationMs } from '../policy/duration';
import type { ResponsePolicy } from '../policy/schema';
import type { Severity } from './definitions';

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
