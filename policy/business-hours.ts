// Pure: the worker decides it when an incident opens; the CLI and the tests share it.
/**
 * A team's business hours (teams[].businessHours): whether an instant is within them, when that next
 * changes, and how to say them. A team without business hours works around the clock.
 */
import type { ResponsePolicy } from './schema';
import { windowsAt } from './schedules';

export interface BusinessHours {
  /** Within the team's business hours at the instant asked. */
  inside: boolean;
  /** When that next changes (the next start, when outside), as an instant. */
  until: number;
  /** "mon,tue,wed,thu,fri 09:00–17:00 (Europe/Berlin)" */
  text: string;
}

type Teams = Pick<ResponsePolicy, 'teams' | 'schedules'>;

/** A team's business hours at an instant; undefined for a team without them (always within). */
export function businessHoursAt(policy: Teams, teamId: string, atMs: number): BusinessHours | undefined {
  const team = policy.teams?.find((t) => t.id === teamId);
  const hours = team?.businessHours;
  if (!team || !hours) return undefined;
  const timeZone = hours.timeZone ?? policy.schedules.find((s) => s.id === team.schedule)?.timeZone ?? 'UTC';
  const at = windowsAt(hours.hours, timeZone, atMs);
  const windows = hours.hours.map((w) => `${w.days ? w.days.map((d) => d.slice(0, 3)).join(',') : 'every day'} ${w.from}–${w.to}`);
  return { inside: at.open, until: at.until, text: `${windows.join('; ')} (${timeZone})` };
}

/** Which `during` an escalation level needs to apply to an incident opened within (or outside) business hours. */
export const duringOf = (inside: boolean) => (inside ? 'business-hours' : 'outside-business-hours');
