import twilio from 'twilio';
import { escapeMarkup } from '../policy/render';

export interface PhoneMessenger {
  sms(to: string, body: string): Promise<{ sid: string }>;
  call(to: string, twiml: string): Promise<{ sid: string }>;
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another base URL for Twilio's REST API (a stand-in in tests); the twilio client's own `api.baseUrl` hook. */
  apiBaseUrl?: string;
}

/** SMS and voice through the twilio package: the code that talks to the real service. */
export function createTwilioMessenger(settings: TwilioSettings): PhoneMessenger {
  const client = twilio(settings.accountSid, settings.authToken);
  if (settings.apiBaseUrl) client.api.baseUrl = settings.apiBaseUrl;
  return {
    async sms(to, body) {
      const message = await client.messages.create({ to, from: settings.from, body });
      return { sid: message.sid };
    },
    async call(to, twiml) {
      const call = await client.calls.create({ to, from: settings.from, twiml });
      return { sid: call.sid };
    },
  };
}

/**
 * Twilio's answer decides retry versus fallback: a 4xx such as 21211 (invalid number) will not
 * get better by retrying; 429, 5xx and network errors may.
 */
export function isPermanentTwilioError(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}

export function describeTwilioError(error: unknown): string {
  const e = error as { status?: number; code?: number; message?: string };
  return [e.code ? `Twilio error ${e.code}` : undefined, e.status ? `HTTP ${e.status}` : undefined, e.message].filter(Boolean).join(': ');
}

/** TwiML that speaks the page twice. */
export function sayTwiml(text: string): string {
  const safe = escapeMarkup(text);
  return `<Response><Say>${safe}</Say><Pause length="1"/><Say>${safe}</Say></Response>`;
}

/**
 * TwiML of a page call that takes a key: the page, then "press 1 to acknowledge, 2 to escalate", the
 * key posted (signed by Twilio) to `keysUrl`; no key, and the page is said once more.
 */
export function pageCallTwiml(text: string, keysUrl: string): string {
  const safe = escapeMarkup(text);
  const prompt = 'Press 1 to acknowledge. Press 2 to escalate.';
  return (
    `<Response><Gather numDigits="1" timeout="8" method="POST" action="${escapeMarkup(keysUrl)}">` +
    `<Say>${safe}</Say><Pause length="1"/><Say>${prompt}</Say></Gather>` +
    `<Say>${safe}</Say><Say>No key was pressed. Goodbye.</Say></Response>`
  );
}
