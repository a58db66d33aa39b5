import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AckClaim {
  /** Incident id, e.g. INC-42. */
  i: string;
  /** Contact id. */
  c: string;
  /** Expiry, epoch seconds. */
  e: number;
  /** The incident's workflow id, so the link needs no visibility lookup. */
  w?: string;
}

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/** An acknowledge link: the claim and an HMAC over it, so only this system can mint one. */
export function ackToken(secret: string, claim: AckClaim): string {
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

export type AckTokenCheck = { ok: true; claim: AckClaim } | { ok: false; reason: string };

export function verifyAckToken(secret: string, token: string, nowMs: number): AckTokenCheck {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed link' };
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };
  let claim: AckClaim;
  try {
    claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AckClaim;
  } catch {
    return { ok: false, reason: 'malformed link' };
  }
  if (typeof claim.i !== 'string' || typeof claim.c !== 'string' || typeof claim.e !== 'number')
    return { ok: false, reason: 'malformed link' };
  if (claim.e * 1000 < nowMs) return { ok: false, reason: 'this link has expired' };
  return { ok: true, claim };
}

/** How long the Acknowledge button on a link's page stays valid. */
export const CONFIRM_TTL_MS = 10 * 60 * 1000;

/**
 * The Acknowledge button's token: bound to the link it was shown for, and short-lived. Opening a link
 * (GET or HEAD, as mail scanners and chat previews do) only shows the button; pressing it POSTs this.
 */
export function confirmToken(secret: string, linkToken: string, nowMs: number): string {
  const expires = nowMs + CONFIRM_TTL_MS;
  return `${expires}.${sign(secret, `confirm:${linkToken}:${expires}`)}`;
}

export function verifyConfirmToken(secret: string, linkToken: string, value: unknown, nowMs: number): boolean {
  if (typeof value !== 'string') return false;
  const [expires, mac, extra] = value.split('.');
  if (!expires || !mac || extra !== undefined || !/^\d{1,15}$/.test(expires) || Number(expires) < nowMs) return false;
  const expected = Buffer.from(sign(secret, `confirm:${linkToken}:${expires}`));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface AckLinkSettings {
  secret: string;
  /** Where people reach the HTTP server, e.g. https://incidents.example.com */
  publicUrl: string;
  ttlSeconds: number;
}

export function ackLink(settings: AckLinkSettings, incidentId: string, contactId: string, nowMs: number, workflowId?: string): string {
  const token = ackToken(settings.secret, {
    i: incidentId,
    c: contactId,
    e: Math.floor(nowMs / 1000) + settings.ttlSeconds,
    w: workflowId,
  });
  return `${settings.publicUrl.replace(/\/$/, '')}/ack/${token}`;
}

/** Where a page call posts the key pressed: the acknowledge link's token, under /twilio/voice/keys/. */
export const keysUrlOf = (ackUrl: string) => ackUrl.replace(/\/ack\/([^/]+)$/, '/twilio/voice/keys/$1');
