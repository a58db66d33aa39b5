import { personalChannels } from './notification-rules';
import type { Contact } from './schema';

const rules = (...r: [string, string][]) =>
  ({ notificationRules: r.map(([channel, after]) => ({ channel, after })) }) as Pick<Contact, 'notificationRules'>;

describe("a person's notification rules", () => {
  test('without rules a page uses every channel the severity allows, at once', () => {
    expect(personalChannels({}, ['call', 'sms', 'email'])).toEqual([
      { channel: 'call', afterMs: 0 },
      { channel: 'sms', afterMs: 0 },
      { channel: 'email', afterMs: 0 },
    ]);
  });

  test('SMS at once, a call after 2 minutes, email after 5', () => {
    expect(personalChannels(rules(['email', '5m'], ['sms', '0s'], ['call', '2m']), ['call', 'sms', 'email'])).toEqual([
      { channel: 'sms', afterMs: 0 },
      { channel: 'call', afterMs: 120_000 },
      { channel: 'email', afterMs: 300_000 },
    ]);
  });

  test('within what the severity allows: a P2 (SMS and email) never calls', () => {
    expect(personalChannels(rules(['sms', '0s'], ['call', '2m'], ['email', '5m']), ['sms', 'email'])).toEqual([
      { channel: 'sms', afterMs: 0 },
      { channel: 'email', afterMs: 300_000 },
    ]);
  });

  test('rules of which the severity allows none: the severity’s channels at once (nobody goes unpaged)', () => {
    expect(personalChannels(rules(['sms', '0s'], ['call', '2m']), ['email'])).toEqual([{ channel: 'email', afterMs: 0 }]);
  });

  test('the first allowed rule goes at once, the others keep their gaps; a channel listed twice counts once, at its earliest', () => {
    expect(personalChannels(rules(['call', '1m'], ['email', '3m'], ['call', '10m']), ['call', 'sms', 'email'])).toEqual([
      { channel: 'call', afterMs: 0 },
      { channel: 'email', afterMs: 120_000 },
    ]);
  });
});
