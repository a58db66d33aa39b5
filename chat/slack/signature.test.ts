import { createHmac } from 'node:crypto';
import { slackSignatureProblem } from './signature';

const SECRET = 'slack-signing-secret';
const body = 'token=x&command=%2Fincident&text=status';
const now = 1_800_000_000_000;
const ts = String(now / 1000);
const sign = (t = ts, b = body) => `v0=${createHmac('sha256', SECRET).update(`v0:${t}:${b}`).digest('hex')}`;

describe("Slack's request signature", () => {
  test('holds for v0= and the HMAC of v0:timestamp:body, within five minutes either way', () => {
    expect(slackSignatureProblem(SECRET, body, sign(), ts, now)).toBeUndefined();
    expect(slackSignatureProblem(SECRET, body, sign(), ts, now + 299_000)).toBeUndefined();
    expect(slackSignatureProblem(SECRET, body, sign(), ts, now - 299_000)).toBeUndefined();
  });

  test.each([
    [
      're-spelled with a suffix (one signature, one spelling)',
      () => slackSignatureProblem(SECRET, body, `${sign()}=1`, ts, now),
      'not v0=',
    ],
    ['upper-case hex', () => slackSignatureProblem(SECRET, body, `v0=${sign().slice(3).toUpperCase()}`, ts, now), 'not v0='],
    ['another version', () => slackSignatureProblem(SECRET, body, sign().replace('v0=', 'v1='), ts, now), 'not v0='],
    [
      'a stale timestamp',
      () => slackSignatureProblem(SECRET, body, sign(String(now / 1000 - 301)), String(now / 1000 - 301), now),
      'five minutes',
    ],
    [
      'a future timestamp',
      () => slackSignatureProblem(SECRET, body, sign(String(now / 1000 + 301)), String(now / 1000 + 301), now),
      'five minutes',
    ],
    ['another body', () => slackSignatureProblem(SECRET, `${body}&x=1`, sign(), ts, now), 'does not match'],
    ['another secret', () => slackSignatureProblem('other', body, sign(), ts, now), 'does not match'],
    ['no signature', () => slackSignatureProblem(SECRET, body, undefined, ts, now), 'no signature'],
    ['a timestamp that is not a number', () => slackSignatureProblem(SECRET, body, sign('12a'), '12a', now), 'not a number'],
  ])('is refused for %s', (_what, check, problem) => {
    expect(check()).toContain(problem);
  });
});
