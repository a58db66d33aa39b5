// Deterministic for a given schedule and instant: pure, so the workflow, the CLI and the bench share it.
/**
 * Who a layered schedule puts on call at an instant. A layer rotates its members every `length`
 * (hours: by the clock; days or weeks: by the calendar of its time zone, so a 09:00 handoff stays at
 * 09:00 across DST), optionally only within restrictions (weekdays and hours of that zone). The highest
 * layer (the last listed) with someone on call wins; overrides (from the store) go on top of that.
 */
import { WEEKDAYS, instantOfWall, wallMinutes } from './zoned-time';
import type { Layer, Schedule } from './teams-schema';

export interface ScheduleShift {
  /** Undefined: nobody (a gap the escalation skips). */
  contactId?: string;
  /** The layer that decided (by name), or "gap". */
  layer: string;
  from: number;
  to: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const hhmm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** A layer's start as wall-clock minutes in its zone: "2026-01-05T09:00" is local, an offset makes it an instant. */
function startWall(layer: Layer, timeZone: string): number {
  if (/[zZ]|[+-]\d\d:\d\d$/.test(layer.start)) return wallMinutes(timeZone, Date.parse(layer.start));
  return Math.floor(Date.parse(`${layer.start.length === 16 ? `${layer.start}:00` : layer.start}Z`) / MINUTE_MS);
}

const LENGTH_UNIT_MS = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

/** "12h", "1d", "2w" in milliseconds (a day here is a calendar day of the zone). */
export function rotationMs(length: string): number {
  return Number(length.slice(0, -1)) * LENGTH_UNIT_MS[length.slice(-1) as keyof typeof LENGTH_UNIT_MS];
}

/** The rotation's shift at an instant: its index and bounds. */
function rotationShift(layer: Layer, timeZone: string, atMs: number): { index: number; from: number; to: number } {
  const lengthMs = rotationMs(layer.length);
  const start = startWall(layer, timeZone);
  if (lengthMs % DAY_MS === 0) {
    // Calendar rotation: counted on the wall clock, so handoffs keep their local hour.
    const len = lengthMs / MINUTE_MS;
    const index = Math.floor((wallMinutes(timeZone, atMs) - start) / len);
    return { index, from: instantOfWall(timeZone, start + index * len), to: instantOfWall(timeZone, start + (index + 1) * len) };
  }
  const startMs = instantOfWall(timeZone, start);
  const index = Math.floor((atMs - startMs) / lengthMs);
  return { index, from: startMs + index * lengthMs, to: startMs + (index + 1) * lengthMs };
}

/** Weekly windows of a wall clock: a layer's restrictions, a team's business hours. */
export interface WeeklyWindow {
  days?: readonly (typeof WEEKDAYS)[number][];
  from: string;
  to: string;
}

/**
 * Whether one of the weekly windows holds at an instant, and when that answer next changes (checked on
 * the wall clock of the zone; a window from 22:00 to 06:00 runs overnight from the days it names).
 * No windows: always open.
 */
export function windowsAt(windows: readonly WeeklyWindow[] | undefined, timeZone: string, atMs: number): { open: boolean; until: number } {
  if (!windows?.length) return { open: true, until: Number.POSITIVE_INFINITY };
  const wall = wallMinutes(timeZone, atMs);
  const dayStart = Math.floor(wall / 1440) * 1440;
  // Every window instance from yesterday to a week ahead, as wall-minute intervals (a week holds every weekday).
  const spans: [number, number][] = [];
  for (let offset = -1; offset <= 8; offset++) {
    const day = dayStart + offset * 1440;
    const weekday = new Date(day * MINUTE_MS).getUTCDay();
    for (const w of windows) {
      if (w.days && !w.days.includes(WEEKDAYS[weekday]!)) continue;
      const from = day + hhmm(w.from);
      let to = day + hhmm(w.to);
      if (to <= from) to += 1440;
      spans.push([from, to]);
    }
  }
  const open = spans.filter(([f, t]) => f <= wall && wall < t);
  if (open.length) {
    // Open until the last of the overlapping windows ends (windows chained end to start count as one).
    let end = Math.max(...open.map(([, t]) => t));
    for (let grew = true; grew;) {
      grew = false;
      for (const [f, t] of spans)
        if (f <= end && t > end) {
          end = t;
          grew = true;
        }
    }
    return { open: true, until: instantOfWall(timeZone, end) };
  }
  const next = Math.min(...spans.map(([f]) => f).filter((f) => f > wall));
  return { open: false, until: instantOfWall(timeZone, next) };
}

/** One layer at an instant: who (if anyone), and until when that holds. */
export function layerAt(layer: Layer, scheduleZone: string, atMs: number): { contactId?: string; from: number; to: number } {
  const timeZone = layer.timeZone ?? scheduleZone;
  const shift = rotationShift(layer, timeZone, atMs);
  const window = windowsAt(layer.restrictions, timeZone, atMs);
  const n = layer.members.length;
  const member = layer.members[((shift.index % n) + n) % n]!;
  const to = Math.min(shift.to, window.until);
  if (!window.open || member === '-') return { from: shift.from, to };
  return { contactId: member, from: shift.from, to };
}

/** Who is on call at `atMs`: the highest layer with someone, until the answer could next change. */
export function scheduleAt(schedule: Schedule, atMs: number): ScheduleShift {
  let to = Number.POSITIVE_INFINITY;
  for (let i = schedule.layers.length - 1; i >= 0; i--) {
    const layer = schedule.layers[i]!;
    const at = layerAt(layer, schedule.timeZone, atMs);
    to = Math.min(to, at.to);
    if (at.contactId) return { contactId: at.contactId, layer: layer.name, from: at.from, to };
  }
  return { layer: 'gap', from: atMs, to };
}

/** Consecutive shifts from `fromMs` to `toMs` (a text calendar, an iCal feed, a bench), merged where the person stays. */
export function scheduleShifts(schedule: Schedule, fromMs: number, toMs: number): ScheduleShift[] {
  const shifts: ScheduleShift[] = [];
  for (let at = fromMs; at < toMs;) {
    const s = scheduleAt(schedule, at);
    const last = shifts[shifts.length - 1];
    const end = Math.min(s.to, toMs);
    if (last && last.contactId === s.contactId && last.layer === s.layer) last.to = end;
    else shifts.push({ ...s, from: at, to: end });
    // A window that ends in a DST gap could map back to `at`: always move on.
    at = end > at ? end : at + MINUTE_MS;
  }
  return shifts;
}

/** Someone on call for a window of a schedule, over whoever its layers have (an override, or an accepted swap). */
export interface ShiftOverride {
  contactId: string;
  from: number;
  to: number;
}

/**
 * The shifts from `fromMs` to `toMs` with overrides on top, as the store answers who is on call: of the
 * overrides covering a moment, the one listed last (the newest) wins. Their shifts show as layer "override".
 */
export function shiftsWithOverrides(
  schedule: Schedule,
  overrides: readonly ShiftOverride[],
  fromMs: number,
  toMs: number,
): ScheduleShift[] {
  const base = scheduleShifts(schedule, fromMs, toMs);
  const inRange = overrides.filter((o) => o.to > fromMs && o.from < toMs);
  if (!inRange.length) return base;
  const cuts = [...new Set([fromMs, toMs, ...base.map((s) => s.from), ...inRange.flatMap((o) => [o.from, o.to])])]
    .filter((t) => t >= fromMs && t <= toMs)
    .sort((a, b) => a - b);
  const shifts: ScheduleShift[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [from, to] = [cuts[i]!, cuts[i + 1]!];
    let over: ShiftOverride | undefined;
    for (const o of inRange) if (o.from <= from && from < o.to) over = o;
    const under = base.find((s) => s.from <= from && from < s.to)!;
    const who = over ? { contactId: over.contactId, layer: 'override' } : { contactId: under.contactId, layer: under.layer };
    const last = shifts[shifts.length - 1];
    if (last && last.contactId === who.contactId && last.layer === who.layer) last.to = to;
    else shifts.push({ ...(who.contactId ? { contactId: who.contactId } : {}), layer: who.layer, from, to });
  }
  return shifts;
}
