/**
 * Effects: every message of one send (a page level, a notice) in one activity,
 * all channels at once; the ledger still makes each one exactly-once. Pages go as regular activities,
 * which any worker takes and Temporal retries for as long as needed; notifications try a short local
 * activity first (no task round trip, no extra history) and fall back to a regular one.
 */
import { CHANNEL_TRAITS, addressFor, missingAddress } from '../../contract/channels';
import type { DeliveryOutcome, OnCallAnswer, OutboundMessage } from '../../contract';
import type { Recipient } from '../../policy/recipients';
import { acts, oneLocalAtATime, withLocalSummary, withSummary } from './activity-proxies';
import { dedupKeys } from './dedup-keys';
import type { Channel } from '../../policy/schema';
import { channelBody, channelsOf, failureCause, recordDelivery, recordOutboxed, type Effects, type TargetOptions } from './delivery';
import { SYSTEM, iso, record } from './state';
import { scheduleOf } from '../../policy/teams';
import { personalChannels } from '../../policy/notification-rules';
import { formatDuration } from '../../policy/duration';

interface Planned {
  payload: OutboundMessage;
  who: string;
}

/** A notification's local attempt: short, once (it holds the workflow task); anything else is the regular activity's job. */
const quickLocal = { startToCloseTimeout: '3s', retry: { maximumAttempts: 1 } } as const;

/** Sends the planned messages in one activity; each outcome goes on the timeline. Returns which went out. */
export async function deliverPlanned(fx: Effects, planned: Planned[], summary: string): Promise<boolean[]> {
  if (planned.length === 0) return [];
  const msgs = planned.map((p) => p.payload);
  let outcomes: DeliveryOutcome[];
  try {
    // Inline (a local activity) only once nothing pages automatically: a local activity holds the
    // workflow task, and with it any page scheduled meanwhile, until it is done.
    if (fx.m.state.status !== 'open' && msgs.every((msg) => msg.kind === 'notification')) {
      try {
        outcomes = await oneLocalAtATime(fx.m, (local) => local.deliverAll.executeWithOptions({ ...quickLocal, summary }, [msgs]));
      } catch {
        // Resumed: what the local attempt sent counts as sent, and is not sent again.
        outcomes = await acts.deliverAll.executeWithOptions(withSummary(summary), [msgs, true]);
      }
    } else {
      outcomes = await acts.deliverAll.executeWithOptions(withSummary(summary), [msgs]);
    }
  } catch (error) {
    const cause = failureCause(error);
    outcomes = msgs.map((msg) => ({ status: 'failed', channel: msg.channel, error: cause }));
  }
  // Outboxed messages (no SMTP or Twilio): one line per person, whatever the number of channels.
  const outboxed = new Map<string, { p: Planned; channels: Channel[] }>();
  const went = planned.map((p, i) => {
    if (outcomes[i]!.status !== 'outbox') return recordDelivery(fx, p.payload, p.who, outcomes[i]!);
    const key = `${p.payload.recipient.id}|${p.payload.kind}`;
    const entry = outboxed.get(key) ?? { p, channels: [] };
    entry.channels.push(p.payload.channel);
    outboxed.set(key, entry);
    return true;
  });
  for (const { p, channels } of outboxed.values()) recordOutboxed(fx, p.payload, p.who, channels);
  return went;
}

/**
 * Everyone of a send through all their channels at once; a person none of whose channels worked (or
 * who has no phone for a phone-only send) gets email as the last resort. Nothing is skipped silently.
 */
export async function sendAtOnce(fx: Effects, recipients: Recipient[], o: TargetOptions): Promise<void> {
  const { m } = fx;
  const { state } = m;
  const stopIfAcknowledged = o.stopIfAcknowledged ?? false;
  const stopped = () => stopIfAcknowledged && state.status !== 'open';
  if (stopped() || recipients.length === 0) return;
  const channels = channelsOf(m, o);
  const base = { incidentNumber: state.number, incidentId: state.incidentId, kind: o.kind, subject: o.message.subject, stopIfAcknowledged };
  const people = recipients.map((r) => ({
    r,
    who: `${r.contact.name} (${r.via})`,
    key: dedupKeys.person(o.dedupPrefix, r.contact.id),
    recipient: { id: r.contact.id, name: r.contact.name, email: r.contact.email, phone: r.contact.phone },
  }));
  const planned: (Planned & { person: number })[] = [];
  // Each person's channels now: a page follows their notification rules (the later ones wait in the book).
  const nowChannels = people.map((p, person) => {
    const plan = o.kind === 'page' ? personalChannels(p.r.contact, channels) : channels.map((channel) => ({ channel, afterMs: 0 }));
    const later: string[] = [];
    for (const { channel, afterMs } of plan) {
      if (!addressFor(p.r.contact, channel)) {
        record(m, fx.now(), 'warning', SYSTEM, `${p.who} has no ${missingAddress(channel)}: no ${CHANNEL_TRAITS[channel].noun}`);
        continue;
      }
      const payload = {
        ...base,
        recipient: p.recipient,
        channel,
        body: channelBody(state, o, channel),
        dedupKey: dedupKeys.channel(p.key, channel),
      };
      if (afterMs === 0) planned.push({ payload, who: p.who, person });
      else {
        (m.book.followUps ??= []).push({ atMs: fx.now() + afterMs, who: p.who, payload });
        later.push(`${CHANNEL_TRAITS[channel].name} in ${formatDuration(afterMs)}`);
      }
    }
    if (later.length)
      record(m, fx.now(), 'note', SYSTEM, `${p.r.contact.name}'s notification rules: ${later.join(', ')} unless acknowledged`);
    return plan.filter((c) => c.afterMs === 0).map((c) => c.channel);
  });
  const names = people.map((p) => p.r.contact.name).join(', ');
  const verb = o.kind === 'page' ? 'page' : 'notify';
  const sent = await deliverPlanned(fx, planned, `${o.label}: ${verb} ${names} by ${channels.join(', ')}`);
  if (stopped()) return;
  // Email is the last resort of whoever nothing reached now (and whose page did not go by email).
  const unreached = people.filter(
    (_, person) => !nowChannels[person]!.includes('email') && !planned.some((p, i) => p.person === person && sent[i]),
  );
  if (unreached.length === 0) return;
  for (const p of unreached) record(m, fx.now(), 'warning', SYSTEM, `No ${channels.join('/')} reached ${p.who}; falling back to email`);
  await deliverPlanned(
    fx,
    unreached.map((p) => ({
      payload: { ...base, recipient: p.recipient, channel: 'email', body: o.message.body, dedupKey: p.key },
      who: p.who,
    })),
    `${o.label}: fallback email to ${unreached.map((p) => p.r.contact.name).join(', ')}`,
  );
}

/**
 * Who is on call now: the answer the incident opened with when it is still now (the first page), else
 * a local activity asking the store (overrides) at this moment. `target`: a team's schedule
 * ("schedule:<id>", from the incident's policy snapshot); without it, the single rotation.
 */
export async function onCallNow(fx: Effects, target?: string): Promise<OnCallAnswer> {
  const opened = fx.m.openedOnCall;
  // The first page goes out in the task that opened the incident: the answer is a second old at most.
  if (opened && opened.target === target && fx.now() - opened.atMs < 1000) return opened.answer;
  if (target) {
    const schedule = scheduleOf(fx.m.policy, target);
    if (!schedule) return { source: 'gap', from: iso(fx.now()), to: iso(fx.now()) };
    const ask = { schedule, at: iso(fx.now()) };
    return oneLocalAtATime(fx.m, (local) =>
      local.whoIsOnSchedule.executeWithOptions(withLocalSummary(`Who is on call on ${schedule.name ?? schedule.id}`), [ask]),
    );
  }
  const ask = { oncall: fx.m.policy.oncall, at: iso(fx.now()) };
  const who = await oneLocalAtATime(fx.m, (local) => local.whoIsOnCall.executeWithOptions(withLocalSummary('Who is on call now'), [ask]));
  return who.now;
}
