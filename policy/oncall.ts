// Deterministic for a given policy: imported by workflow code (old incidents) as well as by Node code.
import { durationMs } from './duration';
import type { ResponsePolicy } from './schema';
import { WEEKDAYS, localParts, zonedInstant } from './zoned-time';

export { WEEKDAYS };

export interface OnCallShift {
  contactId: string;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

/** Weekly handoffs at a local day and hour: the last one at or before `atMs`, and the one after. */
function weeklyHandoff(handoff: { day: number; hour: number; timezone: string }, atMs: number): { from: number; to: number } {
  const p = localParts(handoff.timezone, atMs);
  const back = (p.weekday - handoff.day + 7) % 7;
  const date = new Date(Date.UTC(p.year, p.month - 1, p.day) - back * DAY_MS);
  const at = (d: Date, addDays: number) => {
    const shifted = new Date(d.getTime() + addDays * DAY_MS);
    return zonedInstant(handoff.timezone, shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate(), handoff.hour);
  };
  let from = at(date, 0);
  if (from > atMs) from = at(date, -7);
  const fromParts = localParts(handoff.timezone, from);
  const to = at(new Date(Date.UTC(fromParts.year, fromParts.month - 1, fromParts.day)), 7);
  return { from, to };
}

/**
 * Who holds the rotation at `atMs`, and the shift after that. With `handoff`, shifts change weekly
 * at a local day and hour in a timezone (DST included); otherwise every `shift` from `start`.
 */
export function onCallAt(policy: Pick<ResponsePolicy, 'oncall'>, atMs: number): { now: OnCallShift; next: OnCallShift } {
  const { rotation, start, shift, handoff } = policy.oncall;
  const pick = (i: number) => rotation[((i % rotation.length) + rotation.length) % rotation.length]!;
  const startMs = Date.parse(start);
  if (handoff) {
    const spec = { day: WEEKDAYS.indexOf(handoff.day), hour: handoff.hour, timezone: handoff.timezone };
    const current = weeklyHandoff(spec, atMs);
    const next = weeklyHandoff(spec, current.to);
    // Whole weeks since the anchor; DST moves instants by an hour at most, so rounding is exact.
    const index = Math.round((current.from - weeklyHandoff(spec, startMs).from) / (7 * DAY_MS));
    return {
      now: { contactId: pick(index), from: new Date(current.from).toISOString(), to: new Date(current.to).toISOString() },
      next: { contactId: pick(index + 1), from: new Date(next.from).toISOString(), to: new Date(next.to).toISOString() },
    };
  }
  const shiftMs = durationMs(shift);
  const index = Math.floor((atMs - startMs) / shiftMs);
  const at = (i: number): OnCallShift => ({
    contactId: pick(i),
    from: new Date(startMs + i * shiftMs).toISOString(),
    to: new Date(startMs + (i + 1) * shiftMs).toISOString(),
  });
  return { now: at(index), next: at(index + 1) };
}
