/**
 * Many teams: who owns what (teams and services), who is on call when (schedules of layered
 * rotations), who is paged in what order (escalation policies), and which service an alert is about
 * (routes). A single-team policy has none of these: it loads as one team (policy/teams.ts).
 */
import { z } from 'zod';
import { SEVERITIES } from '../contract/common';
import { DURATION_PATTERN } from './duration';
import { WEEKDAYS } from './zoned-time';
import { MATCHER_PATTERN } from './teams';
import { slackChannel } from './chat-channels';
import type { ChatPlatform } from '../contract/chat';

const slug = (what: string) => z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, `${what} ids are lower-case slugs`);
const contactRef = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a contact id');

export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA timezone such as Europe/Berlin');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour time such as 09:00');
/** Rotation lengths are whole hours, days or weeks. */
const rotationLength = z.string().regex(/^[1-9]\d*(h|d|w)$/, 'a rotation length in hours, days or weeks, e.g. 12h, 1d or 1w');

/** A weekly window of a zone's wall clock; one past midnight runs overnight. */
const weeklyWindow = z.object({ days: z.array(z.enum(WEEKDAYS)).min(1).optional(), from: clock, to: clock });

const layerSchema = z.object({
  name: z.string().min(1),
  /** Contact ids in rotation order; "-" is a shift with nobody (the layer below, or the next escalation level, takes it). */
  members: z.array(z.union([contactRef, z.literal('-')])).min(1),
  /** When members[0]'s first shift starts: local to the layer's zone ("2026-01-05T09:00") or an instant with an offset. */
  start: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)?$/, 'a date and time such as 2026-01-05T09:00'),
  /** How long each member's shift lasts: 12h, 1d, 1w, 2w. Days and weeks hand off at the local time of `start`. */
  length: rotationLength,
  /** Defaults to the schedule's zone. */
  timeZone: timeZoneSchema.optional(),
  /** On call only within these windows of the zone's wall clock (a window past midnight runs overnight). */
  restrictions: z.array(weeklyWindow).optional(),
});
export type Layer = z.infer<typeof layerSchema>;

export const scheduleSchema = z.object({
  id: slug('schedule'),
  name: z.string().min(1).optional(),
  timeZone: timeZoneSchema,
  /** Lowest first: a higher layer wins wherever it has someone on call. */
  layers: z.array(layerSchema).min(1),
  /** Tell whoever comes on call this long before their shift starts (by email). Unset: no notices. */
  shiftNotice: z.object({ before: z.string().regex(DURATION_PATTERN, 'expected a duration such as 15m or 1h') }).optional(),
});
export type Schedule = z.infer<typeof scheduleSchema>;

/**
 * Whom a level pages: "schedule:<id>" (who it has on call then), "team:<id>" (that team's
 * schedule), "role:<role>", "commander", a contact id, or "oncall" (the single-team rotation).
 */
const escalationTarget = z.string().min(1);

export const escalationPolicySchema = z.object({
  id: slug('escalation policy'),
  levels: z
    .array(
      z.object({
        name: z.string().min(1),
        targets: z.array(escalationTarget).min(1),
        after: z.string().regex(DURATION_PATTERN, 'expected a duration such as 0s, 15m or 1h'),
        severities: z.array(z.enum(SEVERITIES)).optional(),
        /** Only for incidents opened within (or outside) the owning team's business hours; a team without them is always within. */
        during: z.enum(['business-hours', 'outside-business-hours']).optional(),
      }),
    )
    .min(1),
  repeat: z
    .object({ times: z.number().int().min(0).max(9), interval: z.string().regex(DURATION_PATTERN, 'expected a duration') })
    .default({ times: 0, interval: '30m' }),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

export const teamSchema = z.object({
  id: slug('team'),
  name: z.string().min(1),
  members: z.array(contactRef).default([]),
  /** Its primary schedule: what "team:<id>" pages. */
  schedule: slug('schedule'),
  escalationPolicy: slug('escalation policy'),
  /**
   * When the team works, on the wall clock of `timeZone` (default: its schedule's). Severities marked
   * `businessHoursOnly` page only within them; escalation levels may apply only within or outside them.
   */
  businessHours: z.object({ timeZone: timeZoneSchema.optional(), hours: z.array(weeklyWindow).min(1) }).optional(),
  /** The team's channel on each chat platform: its incidents are announced (and low severities threaded) there, not in the shared incidents channel. */
  chat: z
    .object({ slack: slackChannel } satisfies Record<ChatPlatform, unknown>)
    .partial()
    .strict()
    .optional(),
});
export type Team = z.infer<typeof teamSchema>;

const matcher = z
  .string()
  .regex(MATCHER_PATTERN, 'a matcher such as team="db", alertname=~"Postgres.*" or env!="staging"')
  .refine((m) => {
    // A matcher that does not parse is already refused by the pattern.
    const [, , op, value] = MATCHER_PATTERN.exec(m) ?? [];
    if (op !== '=~' && op !== '!~') return true;
    try {
      new RegExp(`^(?:${value})$`);
      return true;
    } catch {
      return false;
    }
  }, 'the regular expression does not compile');

export const serviceSchema = z.object({
  id: z.string().min(1).max(100),
  name: z.string().min(1).optional(),
  team: slug('team'),
  /** Defaults to its team's. */
  escalationPolicy: slug('escalation policy').optional(),
  /** The status page component customers know it by (statusPage.components[].id). */
  component: z.string().min(1).optional(),
  /** The alert labels that identify it (all must hold), tried after the policy's routes. */
  matchers: z.array(matcher).min(1).optional(),
  /** Runbooks (runbooks.definitions[].id) attached to every incident of the service, beside those their own match rules attach. */
  runbooks: z.array(z.string().min(1)).optional(),
});
export type Service = z.infer<typeof serviceSchema>;

export const routeSchema = z.object({
  /** All must hold (an empty list matches every alert). */
  matchers: z.array(matcher).default([]),
  service: z.string().min(1),
});
export type Route = z.infer<typeof routeSchema>;

export const teamsFields = {
  teams: z.array(teamSchema).default([]),
  services: z.array(serviceSchema).default([]),
  schedules: z.array(scheduleSchema).default([]),
  escalationPolicies: z.array(escalationPolicySchema).default([]),
  /** Which service an alert is about: its `service` label when that names one, else the first route that matches, else `defaultService`. */
  routes: z.array(routeSchema).default([]),
  /** Where an alert or declaration naming no known service goes (its team, its escalation policy). */
  defaultService: z.string().min(1).optional(),
};
