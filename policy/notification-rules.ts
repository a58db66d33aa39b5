// Pure: the workflow plans each person's page with it.
/**
 * A person's notification rules (contacts[].notificationRules): which of the channels a page may use
 * reach them, in which order and after which delays.
 */
import { durationMs } from './duration';
import type { Channel, Contact } from './schema';

export interface PlannedChannel {
  channel: Channel;
  /** After the page goes out: 0 for at once. */
  afterMs: number;
}

/**
 * The channels of one page to a person. Without rules, or when none of their channels is allowed (a P3
 * by email to someone whose rules say SMS and call), every allowed channel at once. Otherwise their
 * allowed rules, each channel once at its earliest, measured from the earliest: the first goes at once,
 * so a page is never held back.
 */
export function personalChannels(contact: Pick<Contact, 'notificationRules'>, allowed: readonly Channel[]): PlannedChannel[] {
  const rules = (contact.notificationRules ?? []).filter((r) => allowed.includes(r.channel));
  if (!rules.length) return allowed.map((channel) => ({ channel, afterMs: 0 }));
  const earliest = new Map<Channel, number>();
  for (const r of rules) earliest.set(r.channel, Math.min(earliest.get(r.channel) ?? Infinity, durationMs(r.after)));
  const start = Math.min(...earliest.values());
  return [...earliest]
    .map(([channel, at]) => ({ channel, afterMs: at - start }))
    .sort((a, b) => a.afterMs - b.afterMs || allowed.indexOf(a.channel) - allowed.indexOf(b.channel));
}
