/**
 * What every integration's route shares: its key looked up (remembered briefly, so a revoked key stops
 * within KEY_CACHE_MS), unknown keys counted per client address (keys are not guessed), and each
 * integration held to its own rate.
 */
import type { FastifyReply } from 'fastify';
import type { IntegrationKind, IntegrationRecord } from '../../contract';
import type { IntegrationStore } from '../../store/integration-store';
import { RateLimit } from '../rate-limit';

/** Failed keys one client address may send per minute. */
const GUESSES_PER_MINUTE = 20;
/** How long a key's integration is remembered. */
const KEY_CACHE_MS = 10_000;

export type KeyCheck =
  | { ok: true; integration: IntegrationRecord }
  | { ok: false; why: 'guessing' | 'unknown' | 'throttled'; retryAfter?: number }
  | { ok: false; why: 'store'; error: unknown };

export type KeyChecker = ReturnType<typeof integrationKeys>;

export function integrationKeys(store: IntegrationStore) {
  const guesses = new RateLimit(GUESSES_PER_MINUTE, 60_000);
  const rates = new Map<string, RateLimit>();
  const known = new Map<string, { integration?: IntegrationRecord; at: number }>();
  const lookup = async (key: string) => {
    const cached = known.get(key);
    if (cached && Date.now() - cached.at < KEY_CACHE_MS) return cached.integration;
    const integration = await store.byKey(key);
    if (known.size > 10_000) known.clear();
    known.set(key, { integration, at: Date.now() });
    return integration;
  };

  /** The live integration of one of `kinds` this key belongs to, counted against its rate. */
  return async function check(key: string, kinds: IntegrationKind | IntegrationKind[], clientAddress: string): Promise<KeyCheck> {
    if (guesses.exhausted(clientAddress)) return { ok: false, why: 'guessing', retryAfter: guesses.retryAfter(clientAddress) };
    let integration: IntegrationRecord | undefined;
    try {
      integration = await lookup(key);
    } catch (error) {
      return { ok: false, why: 'store', error };
    }
    if (!integration || !(Array.isArray(kinds) ? kinds : [kinds]).includes(integration.kind)) {
      guesses.take(clientAddress);
      return { ok: false, why: 'unknown' };
    }
    const rate = rates.get(integration.id) ?? new RateLimit(integration.ratePerMinute, 60_000, 1);
    rates.set(integration.id, rate);
    if (!rate.take(integration.id)) return { ok: false, why: 'throttled', retryAfter: rate.retryAfter(integration.id) };
    void store.touched(integration.id).catch(() => undefined);
    return { ok: true, integration };
  };
}

/**
 * The answer to a key that did not check out, for routes whose URL is the key (heartbeats, posted
 * webhooks): 404 for one nobody has (the same for a revoked one), 503 when the store did not answer,
 * 429 with Retry-After past the integration's rate or while an address is guessing keys.
 */
export function refuseKey(reply: FastifyReply, checked: Exclude<KeyCheck, { ok: true }>, what: string) {
  if (checked.why === 'unknown') return reply.code(404).send({ error: `no such ${what}` });
  if (checked.why === 'store') {
    reply.log.warn({ err: checked.error }, 'integration lookup failed');
    return reply.code(503).header('retry-after', '1').send({ error: 'the store did not answer; retry' });
  }
  return reply
    .code(429)
    .header('retry-after', String(checked.retryAfter ?? 1))
    .send({ error: `too many requests for this ${what}; retry later` });
}
