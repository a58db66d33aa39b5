// Pure decisions of the escalation plan, against the shipped policy: milliseconds, no server.
import { loadPolicy } from '../policy/load';
import { durationMs } from '../policy/duration';
import { dueEscalations, nextEscalation, planEscalation } from './escalation';

const policy = loadPolicy();
const T0 = Date.parse('2026-11-27T10:00:00Z');
const MIN = 60_000;
const interval = durationMs(policy.escalation.repeat.interval);

describe('what is due at time T', () => {
  test('on time, a P1 pages the engineering lead when the ack SLA runs out, and nothing else', () => {
    const plan = planEscalation(policy, 'P1', T0);
    const due = dueEscalations(plan, ['c0-l0'], T0 + 15 * MIN + 200, {}, interval);
    expect(due.page.map((e) => e.key)).toEqual(['c0-l1']);
    expect(due.heldUpSinceMs).toBeUndefined();
  });

  test('a P0 pages every level at once, on time', () => {
    const due = dueEscalations(planEscalation(policy, 'P0', T0), [], T0 + 300, {}, interval);
    expect(due.page.map((e) => e.level)).toEqual([0, 1, 2, 3]);
    expect(due.heldUpSinceMs).toBeUndefined();
  });

  test('after a gap past a repeat, each overdue level is paged once, in level order, on-call first', () => {
    const plan = planEscalation(policy, 'P1', T0);
    const lastOffset = Math.max(...plan.filter((e) => e.cycle === 0).map((e) => e.atMs - T0));
    const now = T0 + lastOffset + interval + 1000;
    const due = dueEscalations(plan, [], now, {}, interval);
    expect(due.page.map((e) => [e.level, e.cycle])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    // The earlier cycle is settled with it: its keys are never paged afterwards.
    expect(due.settled.map((e) => e.key).sort()).toEqual(['c0-l0', 'c0-l1', 'c0-l2', 'c1-l0', 'c1-l1', 'c1-l2']);
    expect(due.heldUpSinceMs).toBe(T0);
  });

  test('after a catch-up, nobody is paged again within the repeat interval', () => {
    const plan = planEscalation(policy, 'P1', T0);
    const lastOffset = Math.max(...plan.filter((e) => e.cycle === 0).map((e) => e.atMs - T0));
    // Caught up just before cycle 2 was due: cycle 2 waits a whole interval after the catch-up.
    const now = T0 + lastOffset + 2 * interval - 1000;
    const due = dueEscalations(plan, [], now, {}, interval);
    const last = Object.fromEntries(due.page.map((e) => [e.level, now]));
    const paged = due.settled.map((e) => e.key);
    const next = nextEscalation(plan, paged, last, interval)!;
    expect(next.entry.cycle).toBe(2);
    expect(next.atMs).toBe(now + interval);
    expect(dueEscalations(plan, paged, now + interval - 1, last, interval).page).toEqual([]);
  });
});
