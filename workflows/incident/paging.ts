/**
 * Effects: pages and notifications to the people a target list names, with every outcome on the
 * timeline. Older incidents send through the `deliver` activity, one person at a time through the
 * channels in order; page-first ones send each batch at once (send-at-once.ts). Who and which key are
 * decided by the caller.
 */
import { CHANNEL_TRAITS, addressFor, missingAddress } from '../../contract/channels';
import { workflowInfo } from '@temporalio/workflow';
import type { Contact } from '../../policy/schema';
import type { DeliveryOutcome, OutboundMessage } from '../../contract';
import { pageMessage } from '../messages';
import { resolveTargets } from '../recipients';
import { acts, withSummary } from './activity-proxies';
import { dedupKeys } from './dedup-keys';
import { applicableLevels } from './transitions';
import { SYSTEM, iso, record } from './state';
import { escalationKey } from '../escalation';
import { PATCHES } from '../patches';
import { onCallNow, sendAtOnce } from './send-at-once';
import { channelBody, channelsOf, failureCause, recordDelivery, type Effects, type SendOptions, type TargetOptions } from './delivery';

export type { Effects, Message, SendOptions, TargetOptions } from './delivery';

export async function deliverOne(fx: Effects, payload: OutboundMessage, who: string, summary: string): Promise<boolean> {
  let outcome: DeliveryOutcome;
  try {
    outcome = await acts.deliver.executeWithOptions(withSummary(summary), [payload]);
  } catch (error) {
    outcome = { status: 'failed', channel: payload.channel, error: failureCause(error) };
  }
  return recordDelivery(fx, payload, who, outcome);
}

/**
 * One person, through the severity's channels in order (pages) or the notification's channels.
 * A channel that fails for good, or a contact without a phone, falls through to the next;
 * when none worked, email is the last resort. Nothing is skipped silently.
 */
export async function sendToPerson(fx: Effects, contact: Contact, via: string, o: SendOptions): Promise<void> {
  const { m } = fx;
  const { state } = m;
  const stopIfAcknowledged = o.stopIfAcknowledged ?? false;
  const who = `${contact.name} (${via})`;
  const channels = channelsOf(m, o);
  const base = { incidentNumber: state.number, incidentId: state.incidentId, kind: o.kind, subject: o.message.subject, stopIfAcknowledged };
  const recipient = { id: contact.id, name: contact.name, email: contact.email, phone: contact.phone };
  let delivered = false;
  for (const channel of channels) {
    if (stopIfAcknowledged && state.status !== 'open') return;
    if (!addressFor(contact, channel)) {
      record(
        m,
        fx.now(),
        'warning',
        SYSTEM,
        `${who} has no ${missingAddress(channel)}: no ${CHANNEL_TRAITS[channel].noun}; using the next channel`,
      );
      continue;
    }
    const payload: OutboundMessage = {
      ...base,
      recipient,
      channel,
      body: channelBody(state, o, channel),
      dedupKey: dedupKeys.channel(o.dedupKey, channel),
    };
    const how = `by ${CHANNEL_TRAITS[channel].by}`;
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

/** Everyone the targets name (roles, contacts, "oncall", "commander"), in parallel. */
export async function sendToTargets(fx: Effects, targets: string[], o: TargetOptions): Promise<void> {
  const { m } = fx;
  const { recipients, unresolved } = resolveTargets(m.policy, targets, { nowMs: fx.now(), commander: m.state.commander, onCall: o.onCall });
  for (const target of unresolved) record(m, fx.now(), 'warning', SYSTEM, `${o.label}: nobody to notify for "${target}"`);
  if (m.pageFirst) return sendAtOnce(fx, recipients, o);
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
    const who = m.pageFirst
      ? { now: await onCallNow(fx) }
      : await acts.whoIsOnCall.executeWithOptions(withSummary('Who is on call now'), [{ oncall: m.policy.oncall, at: iso(fx.now()) }]);
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
    message: pageMessage(m.policy, m.state, def.name, fx.now(), workflowInfo().workflowId),
    label: def.name,
    stopIfAcknowledged: o.stopIfAcknowledged,
    onCall,
  });
}
