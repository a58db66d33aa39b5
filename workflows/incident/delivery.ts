/**
 * What every send shares: the effects handle, a send's options, the text per channel, and how an
 * outcome reads on the timeline.
 */
import { CHANNEL_TRAITS } from '../../contract/channels';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Channel } from '../../policy/schema';
import type { DeliveryOutcome, IncidentState, MessageKind, OutboundMessage } from '../../contract';
import { callText, smsText, statusSmsText } from '../messages';
import { SYSTEM, record, type IncidentModel } from './state';

export interface Effects {
  m: IncidentModel;
  now(): number;
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

const channelName = (channel: Channel) => CHANNEL_TRAITS[channel].name;

/** A person paged: they may acknowledge from the page, and their backup's clock starts (policy `backupAfter`). */
function notePaged(fx: Effects, contactId: string): void {
  const { m } = fx;
  if (!(m.state.pagedContacts ??= []).includes(contactId)) m.state.pagedContacts.push(contactId);
  if (m.policy.backupAfter && m.policy.contacts.find((c) => c.id === contactId)?.backup) {
    const backups = (m.book.backups ??= { watch: {}, paged: [] });
    backups.watch[contactId] ??= fx.now();
  }
}

/** One message's outcome on the timeline; false when it failed for good. */
export function recordDelivery(fx: Effects, payload: OutboundMessage, who: string, outcome: DeliveryOutcome): boolean {
  const { m } = fx;
  const by = channelName(payload.channel);
  const verb = payload.kind === 'page' ? 'Paged' : 'Notified';
  if (outcome.status === 'failed') {
    record(m, fx.now(), 'warning', SYSTEM, `Failed to ${payload.kind === 'page' ? 'page' : 'notify'} ${who} by ${by}: ${outcome.error}`);
    return false;
  }
  if (payload.kind === 'page' && outcome.status !== 'skipped') notePaged(fx, payload.recipient.id);
  if (outcome.status === 'sent')
    record(m, fx.now(), payload.kind === 'page' ? 'page' : 'notification', SYSTEM, `${verb} ${who} by ${by}: ${payload.subject}`);
  if (outcome.status === 'outbox')
    record(m, fx.now(), 'warning', SYSTEM, `${verb} ${who}: ${by} not delivered, kept in the outbox: ${payload.subject}`);
  if (outcome.status === 'skipped')
    record(m, fx.now(), 'page', SYSTEM, `Page to ${who} by ${by} not sent: the incident was acknowledged meanwhile`);
  return true;
}

/**
 * A person's messages that all went to the outbox (no SMTP or Twilio configured): one timeline line for
 * the person, naming the channels, instead of one warning per channel.
 */
export function recordOutboxed(fx: Effects, payload: OutboundMessage, who: string, channels: Channel[]): void {
  const { m } = fx;
  if (payload.kind === 'page') notePaged(fx, payload.recipient.id);
  const verb = payload.kind === 'page' ? 'Paged' : 'Notified';
  record(
    m,
    fx.now(),
    'warning',
    SYSTEM,
    `${verb} ${who}: ${channels.map(channelName).join(', ')} not delivered, kept in the outbox: ${payload.subject}`,
  );
}

export const failureCause = (error: unknown): string =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause.message : String(error);

export interface TargetOptions extends Omit<SendOptions, 'dedupKey'> {
  /** Each person's key is `<prefix>:<contact id>`. */
  dedupPrefix: string;
  /** Who "oncall" is now, when the store was asked. */
  onCall?: { contactId?: string; source: string };
  /** Who each team schedule target ("schedule:<id>") has on call now, when the store was asked. */
  onSchedules?: Record<string, { contactId?: string; source: string }>;
}

/** The text a channel carries: the email body, or the SMS or call script. */
export function channelBody(state: IncidentState, o: Pick<SendOptions, 'kind' | 'message'>, channel: Channel): string {
  const text = CHANNEL_TRAITS[channel].text;
  if (text === 'full') return o.message.body;
  const phoneText = o.message.short ?? (o.kind === 'page' ? smsText(state) : statusSmsText(state));
  return text === 'short' || o.message.short ? phoneText : o.kind === 'page' ? callText(state) : phoneText;
}

/** The channels a send uses: the severity's for pages, the notification's own otherwise. */
export const channelsOf = (m: IncidentModel, o: Pick<SendOptions, 'kind' | 'notificationChannels'>): Channel[] =>
  o.kind === 'page' ? (m.policy.severities[m.state.severity].channels ?? ['email']) : (o.notificationChannels ?? ['email']);
