/**
 * Effects: pages and notifications through the `deliver` activity, one person at a time through the
 * severity's channels, with every outcome on the timeline. Who and which key are decided by the caller.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Channel, Contact } from '../../policy/schema';
import type { DeliveryResult, MessageKind, OutboundMessage } from '../../contract';
import { callText, pageMessage, smsText, statusSmsText } from '../messages';
import { resolveTargets } from '../recipients';
import { acts, withSummary } from './activity-proxies';
import { dedupKeys } from './dedup-keys';
import { applicableLevels } from './transitions';
import { SYSTEM, iso, record, type IncidentModel } from './state';
import { escalationKey } from '../escalation';
import { PATCHES } from '../patches';

export interface Effects {
  m: IncidentModel;
  now(): number;
  patched(id: string): boolean;
}

export interface Message {
  subject: string;
  body: string;
  /** The SMS and call text, when the message says its own. */
  short?: string;
}

export interface SendOptions {
  /** The ledger key (per person; channels add their suffix). */
  dedupKey: string;
  kind: MessageKind;
  message: Message;
  /** Names the send in activity summaries and warnings. */
  label: string;
  /** Escalation pages: not sent once the incident is acknowledged or resolved. */
  stopIfAcknowledged?: boolean;
  /** The channels of a notification (pages use the severity's). */
  notificationChannels?: Channel[];
}

const channelName = (channel: Channel) => (channel === 'email' ? 'email' : channel === 'sms' ? 'SMS' : 'voice call');

export async function deliverOne(fx: Effects, payload: OutboundMessage, who: string, summary: string): Promise<boolean> {
  const { m } = fx;
  const by = channelName(payload.channel);
  const verb = payload.kind === 'page' ? 'Paged' : 'Notified';
  try {
    const result: DeliveryResult = await acts.deliver.executeWithOptions(withSummary(summary), [payload]);
    if (payload.kind === 'page' && result.status !== 'skipped' && !(m.state.pagedContacts ??= []).includes(payload.recipient.id))
      m.state.pagedContacts.push(payload.recipient.id);
    if (result.status === 'sent')
      record(m, fx.now(), payload.kind === 'page' ? 'page' : 'notification', SYSTEM, `${verb} ${who} by ${by}: ${payload.subject}`);
    if (result.status === 'outbox')
      record(m, fx.now(), 'warning', SYSTEM, `${verb} ${who}: ${by} not delivered, kept in the outbox: ${payload.subject}`);
    if (result.status === 'skipped')
      record(m, fx.now(), 'page', SYSTEM, `Page to ${who} by ${by} not sent: the incident was acknowledged meanwhile`);
    return true;
  } catch (error) {
    const cause = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause.message : String(error);
    record(m, fx.now(), 'warning', SYSTEM, `Failed to ${payload.kind === 'page' ? 'page' : 'notify'} ${who} by ${by}: ${cause}`);
    return false;
  }
}

/**
 * One person, through the severity's channels in order (pages) or the notification's channels.
 * A channel that fails for good, or a contact without a phone, falls through to the next;
 * when none worked, email is the last resort. Nothing is skipped silently.
 */
export async function sendToPerson(fx: Effects, contact: Contact, via: string, o: SendOptions): Promise<void> {
  const { m } = fx;
  const { state, policy } = m;
  const stopIfAcknowledged = o.stopIfAcknowledged ?? false;
  const who = `${contact.name} (${via})`;
  const channels: Channel[] =
    o.kind === 'page' ? (policy.severities[state.severity].channels ?? ['email']) : (o.notificationChannels ?? ['email']);
  const base = { incidentNumber: state.number, incidentId: state.incidentId, kind: o.kind, subject: o.message.subject, stopIfAcknowledged };
  const recipient = { id: contact.id, name: contact.name, email: contact.email, phone: contact.phone };
  let delivered = false;
  for (const channel of channels) {
    if (stopIfAcknowledged && state.status !== 'open') return;
    if (channel !== 'email' && !contact.phone) {
      record(
        m,
        fx.now(),
        'warning',
        SYSTEM,
        `${who} has no phone number: no ${channel === 'sms' ? 'SMS' : 'call'}; using the next channel`,
      );
      continue;
    }
    const phoneText = o.message.short ?? (o.kind === 'page' ? smsText(state) : statusSmsText(state));
    const body =
      channel === 'email'
        ? o.message.body
        : channel === 'sms' || o.message.short
          ? phoneText
          : o.kind === 'page'
            ? callText(state)
            : phoneText;
    const payload: OutboundMessage = { ...base, recipient, channel, body, dedupKey: dedupKeys.channel(o.dedupKey, channel) };
    const how = channel === 'email' ? 'by email' : channel === 'sms' ? 'by SMS' : 'by phone';
    if (await deliverOne(fx, payload, who, `${o.label}: ${o.kind === 'page' ? 'page' : 'notify'} ${contact.name} (${via}) ${how}`))
      delivered = true;
  }
  if (!delivered && !channels.includes('email') && !(stopIfAcknowledged && state.status !== 'open')) {
    record(m, fx.now(), 'warning', SYSTEM, `No ${channels.join('/')} reached ${who}; falling back to email`);
    await deliverOne(
      fx,
      { ...base, recipient, channel: 'email', body: o.message.body, dedupKey: o.dedupKey },
      who,
      `${o.label}: fallback email to ${contact.name}`,
    );
  }
}

export interface TargetOptions extends Omit<SendOptions, 'dedupKey'> {
  /** Each person's key is `<prefix>:<contact id>`. */
  dedupPrefix: string;
  /** Who "oncall" is now, when the store was asked. */
  onCall?: { contactId?: string; source: string };
}

/** Everyone the targets name (roles, contacts, "oncall", "commander"), in parallel. */
export async function sendToTargets(fx: Effects, targets: string[], o: TargetOptions): Promise<void> {
  const { m } = fx;
  const { recipients, unresolved } = resolveTargets(m.policy, targets, { nowMs: fx.now(), commander: m.state.commander, onCall: o.onCall });
  for (const target of unresolved) record(m, fx.now(), 'warning', SYSTEM, `${o.label}: nobody to notify for "${target}"`);
  await Promise.all(
    recipients.map((r) => sendToPerson(fx, r.contact, r.via, { ...o, dedupKey: dedupKeys.person(o.dedupPrefix, r.contact.id) })),
  );
}

export interface PageLevelOptions {
  dedupPrefix: string;
  stopIfAcknowledged: boolean;
  /** The plan's cycle of an automatic page; manual pages take the incident's current cycle. */
  cycle?: number;
}

/** Pages one level of the escalation path; a rotation gap pages the next level instead. */
export async function pageLevel(fx: Effects, level: number, o: PageLevelOptions): Promise<void> {
  const { m } = fx;
  const def = m.policy.escalation.levels[level]!;
  let onCall: { contactId?: string; source: string } | undefined;
  // "The on-call engineer" is resolved at the moment of paging, overrides from the store included.
  if (def.targets.includes('oncall') && fx.patched(PATCHES.oncallOverrides)) {
    const who = await acts.whoIsOnCall.executeWithOptions(withSummary('Who is on call now'), [
      { oncall: m.policy.oncall, at: iso(fx.now()) },
    ]);
    onCall = who.now;
    if (!who.now.contactId) {
      const next = applicableLevels(m).find((l) => l > level);
      record(
        m,
        fx.now(),
        'warning',
        SYSTEM,
        `Nobody is on call (rotation gap until ${who.now.to})${next !== undefined ? `: paging ${m.policy.escalation.levels[next]!.name} instead` : ''}`,
      );
      if (next !== undefined) {
        m.book.paged.push(escalationKey(o.cycle ?? m.state.escalationCycle, next));
        m.state.escalationLevel = Math.max(m.state.escalationLevel, next);
        await pageLevel(fx, next, { ...o, dedupPrefix: dedupKeys.gapPage(o.dedupPrefix, next) });
      }
      return;
    }
  }
  await sendToTargets(fx, def.targets, {
    dedupPrefix: o.dedupPrefix,
    kind: 'page',
    message: pageMessage(m.policy, m.state, def.name, fx.now()),
    label: def.name,
    stopIfAcknowledged: o.stopIfAcknowledged,
    onCall,
  });
}
