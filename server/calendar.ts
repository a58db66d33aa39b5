/**
 * Secret iCal feeds of who is on call: one per person (their shifts on every schedule) and one per
 * schedule, at /calendar/<feed>.ics. The feed's name is its own credential: the kind and id it shows,
 * with a MAC under a key derived from IDENTITY_SECRET, so a feed cannot be guessed or turned into
 * another one. People get their URLs from the API (`incidentctl calendar`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import ical from 'ical-generator';
import { shiftsWithOverrides, type ShiftOverride } from '../policy/schedules';
import type { ResponsePolicy } from '../policy/schema';

export type FeedKind = 'person' | 'schedule';
const DAY_MS = 86_400_000;
/** A feed shows a week back and eight weeks ahead: what calendar apps keep refreshing. */
const BACK_MS = 7 * DAY_MS;
const AHEAD_MS = 56 * DAY_MS;

const mac = (secret: string, kind: FeedKind, id: string) =>
  createHmac('sha256', createHmac('sha256', secret).update('calendar-feed-v1').digest())
    .update(`${kind}:${id}`)
    .digest('base64url')
    .slice(0, 32);

/** The feed's file name: `schedule.db-primary.<mac>.ics`. */
export const feedName = (secret: string, kind: FeedKind, id: string) => `${kind}.${id}.${mac(secret, kind, id)}.ics`;

function parseFeed(secret: string, name: string): { kind: FeedKind; id: string } | undefined {
  const m = /^(person|schedule)\.([a-z0-9][a-z0-9._-]*)\.([A-Za-z0-9_-]{32})\.ics$/.exec(name);
  if (!m) return undefined;
  const [, kind, id, given] = m as unknown as [string, FeedKind, string, string];
  const expected = Buffer.from(mac(secret, kind, id));
  return timingSafeEqual(expected, Buffer.from(given)) ? { kind, id } : undefined;
}

/** The window a feed shows: a week back, eight weeks ahead. */
export const feedWindow = (nowMs: number) => ({ from: nowMs - BACK_MS, to: nowMs + AHEAD_MS });

/** The shifts of one schedule, or of one person on every schedule (overrides and swaps on top), as an iCal calendar. */
export function renderFeed(
  policy: ResponsePolicy,
  kind: FeedKind,
  id: string,
  nowMs: number,
  overrides: Record<string, ShiftOverride[]> = {},
): string | undefined {
  const { from, to } = feedWindow(nowMs);
  const name = (contactId: string) => policy.contacts.find((c) => c.id === contactId)?.name ?? contactId;
  const schedules = kind === 'schedule' ? policy.schedules.filter((s) => s.id === id) : policy.schedules;
  if (kind === 'schedule' ? !schedules.length : !policy.contacts.some((c) => c.id === id)) return undefined;
  const calendar = ical({
    name: kind === 'schedule' ? `On call: ${schedules[0]!.name ?? id}` : `${name(id)}: on call`,
    prodId: { company: 'incident-orchestrator', product: 'on-call' },
    ttl: 3600,
  });
  for (const schedule of schedules)
    for (const shift of shiftsWithOverrides(schedule, overrides[schedule.id] ?? [], from, to)) {
      if (!shift.contactId || (kind === 'person' && shift.contactId !== id)) continue;
      calendar.createEvent({
        id: `${schedule.id}-${shift.from}-${shift.contactId}@incident-orchestrator`,
        start: new Date(shift.from),
        end: new Date(shift.to),
        summary: kind === 'schedule' ? `On call: ${name(shift.contactId)}` : `On call: ${schedule.name ?? schedule.id}`,
        description: `${schedule.name ?? schedule.id}, ${shift.layer === 'override' ? 'an override or swap' : `layer ${shift.layer}`}`,
      });
    }
  return calendar.toString();
}

export function registerCalendarRoutes(
  app: FastifyInstance,
  deps: {
    policy: ResponsePolicy;
    identitySecret?: string;
    /** The store's overrides (and accepted swaps) per schedule; without a store, the layers alone. */
    overrides?: (scheduleIds: string[], fromMs: number, toMs: number) => Promise<Record<string, ShiftOverride[]>>;
  },
): void {
  app.get<{ Params: { feed: string } }>('/calendar/:feed', async (request, reply) => {
    const feed = deps.identitySecret ? parseFeed(deps.identitySecret, request.params.feed) : undefined;
    const now = Date.now();
    const { from, to } = feedWindow(now);
    const overrides =
      feed && deps.overrides
        ? await deps.overrides(
            deps.policy.schedules.map((s) => s.id),
            from,
            to,
          )
        : {};
    const body = feed && renderFeed(deps.policy, feed.kind, feed.id, now, overrides);
    // One answer for a bad MAC, an unknown id and feeds off: nothing to learn from trying.
    if (!body) return reply.code(404).header('cache-control', 'no-store').send({ error: 'no such calendar' });
    return reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(body);
  });
}
