/**
 * Slack's request signature, checked strictly: `X-Slack-Signature` is exactly `v0=` and 64 lower-case
 * hex digits of HMAC-SHA256(signing secret, `v0:<timestamp>:<body>`), and the timestamp is within five
 * minutes either way. One spelling per signature, so the replay ledger (keyed by it) cannot be walked
 * around by re-spelling the header.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_MAX_SKEW_S = 5 * 60;

/** Why the request is not Slack's, or undefined when it is. */
export function slackSignatureProblem(
  signingSecret: string,
  body: string,
  signature: string | undefined,
  timestamp: string | undefined,
  nowMs = Date.now(),
): string | undefined {
  if (!signature || !timestamp) return 'no signature';
  if (!/^\d{1,12}$/.test(timestamp)) return 'the timestamp is not a number of seconds';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_SIGNATURE_MAX_SKEW_S) return 'the timestamp is more than five minutes off';
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return 'the signature is not v0= and 64 hex digits';
  const wanted = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest();
  if (!timingSafeEqual(wanted, Buffer.from(signature.slice(3), 'hex'))) return 'the signature does not match';
  return undefined;
}
