// Deterministic: imported by workflow code (on-call at paging time) as well as by Node code.
/** Wall clocks of time zones (DST included), with Intl only: no time-zone library in the workflow bundle. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** One formatter per timezone: making one costs far more than using it (a rotation lookup makes several). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'long',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a timezone. */
export function localParts(timeZone: string, atMs: number) {
  const parts = formatter(timeZone).formatToParts(new Date(atMs));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAYS.indexOf(get('weekday').toLowerCase() as (typeof WEEKDAYS)[number]),
  };
}

/** The instant at which the wall clock in `timeZone` shows the given local date, hour and minute. */
export function zonedInstant(timeZone: string, year: number, month: number, day: number, hour: number, minute = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const p = localParts(timeZone, guess);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - guess;
    guess = wall - offset;
  }
  return guess;
}

/**
 * A zone's offset from UTC in minutes at an instant, from one lookup per zone and UTC hour (zones change
 * offset on whole UTC hours): schedule lookups ask it millions of times a year of hours.
 */
const offsets = new Map<string, number>();
export function offsetMinutes(timeZone: string, atMs: number): number {
  const hour = Math.floor(atMs / 3_600_000);
  const key = `${timeZone}@${hour}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const at = hour * 3_600_000;
    const p = localParts(timeZone, at);
    offset = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at) / 60_000);
    if (offsets.size > 200_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** An instant's wall clock in a zone, as minutes since 1970-01-01 00:00 of that wall clock. */
export function wallMinutes(timeZone: string, atMs: number): number {
  return Math.floor(atMs / 60_000) + offsetMinutes(timeZone, atMs);
}

/** The instant at which the zone's wall clock shows `minutes` (a time skipped by DST maps past the gap). */
export function instantOfWall(timeZone: string, minutes: number): number {
  const first = (minutes - offsetMinutes(timeZone, minutes * 60_000)) * 60_000;
  return (minutes - offsetMinutes(timeZone, first)) * 60_000;
}
