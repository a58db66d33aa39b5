import { createHash, timingSafeEqual } from 'node:crypto';

export type WebhookAuth = { kind: 'bearer'; token: string } | { kind: 'basic'; user: string; password: string } | { kind: 'insecure' };

// Hashing first gives equal-length inputs, so the comparison time says nothing about the secret.
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Checks the Authorization header that Alertmanager's http_config sends. */
export function authorized(auth: WebhookAuth, header: string | undefined): boolean {
  if (auth.kind === 'insecure') return true;
  if (!header) return false;
  const [scheme, value = ''] = header.split(/\s+/, 2) as [string, string?];
  if (auth.kind === 'bearer') return scheme.toLowerCase() === 'bearer' && same(value, auth.token);
  if (scheme.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Evaluate both halves so a wrong user costs the same as a wrong password.
  const userOk = same(decoded.slice(0, colon), auth.user);
  const passwordOk = same(decoded.slice(colon + 1), auth.password);
  return userOk && passwordOk;
}
