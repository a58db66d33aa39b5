/**
 * One adapter per channel: how it sends, what it says when this worker cannot use it, and which of its
 * failures are final. A new channel is a new adapter here and an entry in contract/channels.ts; the
 * `Record<Channel, …>` makes the compiler name a missing one.
 */
import type { Channel, OutboundMessage } from '../contract';
import { isPermanentMailError, type Mailer } from '../adapters/mailer';
import { describeTwilioError, isPermanentTwilioError, pageCallTwiml, sayTwiml, type PhoneMessenger } from '../adapters/twilio';
import { keysUrlOf } from '../security/ack-links';

export interface ChannelAdapter {
  /** Why this worker cannot send on it (no provider configured): the message waits in the outbox. */
  unavailable?: string;
  /** The text as it goes out: an emailed page carries its one-click acknowledge link. */
  render(msg: OutboundMessage, ackUrl: string | undefined): string;
  /** Hands the message to the provider; its id there. `ackUrl`: a page's signed acknowledge link. */
  send(msg: OutboundMessage, address: string, text: string, ackUrl?: string): Promise<{ messageId?: string }>;
  /** The provider refused for good (retrying cannot help). */
  isPermanent(error: unknown): boolean;
  /** The failure in a sentence for the timeline and the ledger. */
  describe(error: unknown, msg: OutboundMessage, address: string): string;
}

/** The Message-ID of a message, the same on every attempt: receiving servers drop a copy sent again after a crash mid-send. */
export type MessageIdFor = (key: string) => string;

function email(mailer: Mailer | undefined, messageIdFor: MessageIdFor): ChannelAdapter {
  return {
    unavailable: mailer ? undefined : 'no SMTP server configured',
    render: (msg, ackUrl) => (ackUrl ? `${msg.body}\n\nOr acknowledge as ${msg.recipient.name} with one click:\n  ${ackUrl}\n` : msg.body),
    async send(msg, address, text) {
      const info = await mailer!.send({
        to: `"${msg.recipient.name.replace(/"/g, '')}" <${address}>`,
        subject: msg.subject,
        text,
        messageId: messageIdFor(`${msg.incidentId}.${msg.dedupKey}`),
        headers: { 'X-Incident-Id': msg.incidentId, 'X-Incident-Dedup-Key': msg.dedupKey },
      });
      return { messageId: info.messageId };
    },
    isPermanent: isPermanentMailError,
    describe: (error, _msg, address) =>
      isPermanentMailError(error) ? `SMTP refused ${address}: ${(error as Error).message}` : (error as Error).message,
  };
}

function phone(phoneMessenger: PhoneMessenger | undefined, how: 'sms' | 'call'): ChannelAdapter {
  return {
    unavailable: phoneMessenger ? undefined : 'no Twilio credentials configured',
    render: (msg) => msg.body,
    async send(msg, address, text, ackUrl) {
      if (how === 'sms') return { messageId: (await phoneMessenger!.sms(address, text)).sid };
      // A page call takes a key (1 acknowledges, 2 escalates) where acknowledge links are signed.
      const twiml = msg.kind === 'page' && ackUrl ? pageCallTwiml(text, keysUrlOf(ackUrl)) : sayTwiml(text);
      return { messageId: (await phoneMessenger!.call(address, twiml)).sid };
    },
    isPermanent: isPermanentTwilioError,
    describe: (error, msg, address) => `${msg.channel} to ${address}: ${describeTwilioError(error)}`,
  };
}

export function channelAdapters(deps: {
  mailer?: Mailer;
  phone?: PhoneMessenger;
  messageIdFor: MessageIdFor;
}): Record<Channel, ChannelAdapter> {
  return { email: email(deps.mailer, deps.messageIdFor), sms: phone(deps.phone, 'sms'), call: phone(deps.phone, 'call') };
}
