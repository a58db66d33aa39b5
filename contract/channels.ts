/**
 * The channels a message can take, and what the workflow needs to know of each. A `Record<Channel, …>`
 * everywhere a channel decides something: a new channel is a new entry here (and an adapter in
 * activities/channels.ts), and the compiler names every table that lacks it.
 */
export const CHANNELS = ['call', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelTraits {
  /** As the timeline says it: "voice call, SMS not delivered". */
  name: string;
  /** "Paged X by email": how a sentence names the way it went. */
  by: string;
  /** "no SMS", "no call": the thing itself. */
  noun: string;
  /** Which of a contact's addresses it needs. */
  address: 'email' | 'phone';
  /** What it carries: the full text (email), a short text (SMS), or a script read aloud (call). */
  text: 'full' | 'short' | 'spoken';
  /**
   * Its suffix on the ledger key (a wire format): email has none, so incidents paged before phone
   * channels existed stay deduplicated.
   */
  keySuffix: string;
}

export const CHANNEL_TRAITS: Record<Channel, ChannelTraits> = {
  email: { name: 'email', by: 'email', noun: 'email', address: 'email', text: 'full', keySuffix: '' },
  sms: { name: 'SMS', by: 'SMS', noun: 'SMS', address: 'phone', text: 'short', keySuffix: ':sms' },
  call: { name: 'voice call', by: 'phone', noun: 'call', address: 'phone', text: 'spoken', keySuffix: ':call' },
};

/** The address a contact has for a channel, or undefined when they have none. */
export function addressFor(contact: { email: string; phone?: string }, channel: Channel): string | undefined {
  return CHANNEL_TRAITS[channel].address === 'email' ? contact.email : contact.phone;
}

/** What a contact lacks for a channel, as a sentence says it. */
export const missingAddress = (channel: Channel) => (CHANNEL_TRAITS[channel].address === 'email' ? 'email address' : 'phone number');
