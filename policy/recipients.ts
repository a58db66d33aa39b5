// Pure: the workflows (whom a page or notice names) and the hotline (whom a caller is put through to) share it.
import { onCallAt } from './oncall';
import { scheduleAt } from './schedules';
import { scheduleOf } from './teams';
import type { Contact, ResponsePolicy } from './schema';

export interface Recipient {
  contact: Contact;
  /** Why this contact was chosen, e.g. "on-call" or "role:cto". */
  via: string;
}

export interface ResolvedTargets {
  recipients: Recipient[];
  /** Targets that resolved to nobody; the workflow records each as a warning, never drops it silently. */
  unresolved: string[];
}

export function resolveTargets(
  policy: ResponsePolicy,
  targets: string[],
  context: {
    nowMs: number;
    commander?: string;
    onCall?: { contactId?: string; source: string };
    onSchedules?: Record<string, { contactId?: string; source: string }>;
  },
): ResolvedTargets {
  const byId = new Map(policy.contacts.map((c) => [c.id, c]));
  const withRole = (role: string) => policy.contacts.filter((c) => c.roles.includes(role));
  const recipients: Recipient[] = [];
  const unresolved: string[] = [];
  const add = (contacts: Contact[], via: string, target: string) => {
    if (contacts.length === 0) unresolved.push(target);
    for (const contact of contacts) {
      if (!recipients.some((r) => r.contact.id === contact.id)) recipients.push({ contact, via });
    }
  };
  for (const target of targets) {
    if (target === 'oncall') {
      // The store's answer (overrides included) when the workflow asked for it; else the rotation alone.
      const id = context.onCall ? context.onCall.contactId : onCallAt(policy, context.nowMs).now.contactId;
      const via = context.onCall?.source === 'override' ? 'on-call override' : 'on-call';
      add(id && byId.has(id) ? [byId.get(id)!] : [], via, target);
    } else if (target.startsWith('schedule:')) {
      // A team's schedule: the store's answer when the workflow asked, else the schedule alone.
      const asked = context.onSchedules?.[target];
      const schedule = scheduleOf(policy, target);
      const id = asked ? asked.contactId : schedule && scheduleAt(schedule, context.nowMs).contactId;
      const name = schedule?.name ?? target.slice(9);
      add(
        id && byId.has(id) ? [byId.get(id)!] : [],
        asked?.source === 'override' ? `on-call override (${name})` : `on-call (${name})`,
        target,
      );
    } else if (target === 'commander') {
      const named = context.commander ? byId.get(context.commander) : undefined;
      add(named ? [named] : withRole('incident-commander'), 'commander', target);
    } else if (target.startsWith('role:')) {
      add(withRole(target.slice(5)), target.slice(5), target);
    } else {
      add(byId.has(target) ? [byId.get(target)!] : [], target, target);
    }
  }
  return { recipients, unresolved };
}
