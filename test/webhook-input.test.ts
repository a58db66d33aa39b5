import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app';
import { parseWebhookPayload } from '../server/webhook/payload';
import { mapGroup, workflowIdForGroup } from '../server/webhook/mapping';
import { loadPolicy } from '../policy/load';
import { firingFixture, groupPayload } from './helpers/alerts';
import { openTestEnv, uniqueQueue, type TestEnv } from './helpers/harness';

const policy = loadPolicy();
const TOKEN = 'test-token';
let env: TestEnv;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  env = await openTestEnv();
  // A real Temporal client; no worker polls this queue, so accepted groups just wait there.
  app = buildApp({
    client: env.client,
    taskQueue: uniqueQueue('webhook-input'),
    policy,
    auth: { kind: 'bearer', token: TOKEN },
    bodyLimit: 64 * 1024,
    metricsToken: 'metrics-token',
  });
  // Real HTTP on an ephemeral port, as Alertmanager would call it.
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function post(payload: string | object, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(`${base}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const body = await response.text();
  return { statusCode: response.status, body, json: () => JSON.parse(body) as Record<string, any> };
}
const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${base}${path}`, { headers });
  return { statusCode: response.status, body: await response.text() };
};

describe('payload schema', () => {
  test('a real Alertmanager payload parses, firing endsAt included', () => {
    const parsed = parseWebhookPayload(firingFixture());
    expect(parsed.ok).toBe(true);
  });

  test('maps labels to severity, service and title', () => {
    const group = mapGroup(firingFixture(), policy, '2026-11-27T10:00:00Z');
    expect(group.input).toMatchObject({
      severity: 'P1',
      service: 'checkout-db',
      title: 'PostgreSQL connection pool exhausted',
      source: 'alertmanager',
    });
    expect(group.workflowId).toBe(workflowIdForGroup(firingFixture().groupKey));
    expect(mapGroup(groupPayload('g', { a: 'firing' }, { severity: 'warning' }), policy, '').input.severity).toBe('P3');
    expect(mapGroup(groupPayload('g', { a: 'firing' }, { priority: 'P0' }), policy, '').input.severity).toBe('P0');
    const unknown = mapGroup(groupPayload('g', { a: 'firing' }, { severity: 'disaster' }), policy, '');
    expect(unknown.input.severity).toBe(policy.defaultSeverity);
    expect(unknown.batch.notes[0]).toContain('severity "disaster"');
    const noService = firingFixture();
    delete noService.commonLabels.service;
    delete noService.alerts[0]!.labels.service;
    expect(mapGroup(noService, policy, '').input.service).toBe('postgres');
  });

  test('schema violations name the failing path', async () => {
    const bad = firingFixture() as unknown as { alerts: { startsAt: string }[] };
    bad.alerts[1]!.startsAt = 'yesterday';
    const response = await post(bad);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ issues: [expect.objectContaining({ path: 'alerts.1.startsAt' })] });
  });
});

describe('status codes', () => {
  test('401 without or with bad credentials', async () => {
    expect((await post(firingFixture(), {})).statusCode).toBe(401);
    expect((await post(firingFixture(), { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await post(firingFixture(), { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).statusCode).toBe(401);
  });
  test('400 for malformed JSON, 413 over the body limit', async () => {
    const malformed = await post('{"version": "4", ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toContain('malformed JSON');
    expect((await post({ ...firingFixture(), padding: 'x'.repeat(70 * 1024) })).statusCode).toBe(413);
  });
  test('200 once Temporal has accepted the group, and health endpoints answer', async () => {
    const ok = await post(groupPayload(`input-${Date.now()}`, { a1: 'firing' }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'accepted', outcome: 'started' });
    expect((await get('/healthz')).statusCode).toBe(200);
    expect((await get('/readyz')).statusCode).toBe(200);
    expect((await get('/metrics')).statusCode).toBe(401);
    const metrics = await get('/metrics', { authorization: 'Bearer metrics-token' });
    expect(metrics.body).toMatch(/alert_groups_ingested_total\{outcome="started"\} 1/);
    expect(metrics.body).toMatch(/webhook_requests_total\{route="\/alertmanager",status="401"\} 3/);
  });
});

// A seeded generator, so a failure reproduces.
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

test('fuzz: 3000 malformed bodies always get an answer, never a 5xx', async () => {
  const rand = prng(42);
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
  const junk = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => Math.floor(rand() * 1e9) * (rand() > 0.5 ? -1 : 1),
      () => 'x'.repeat(Math.floor(rand() * 300)),
      () => '\u0000\ud83d\ude00\u202e',
      () => [],
      () => ({}),
      () => [junk(), junk()],
      () => ({ [String(rand())]: junk() }),
      () => true,
      () => 1e308 * 10,
    ])();
  const mutate = (value: unknown, depth = 0): unknown => {
    if (value && typeof value === 'object' && depth < 6) {
      const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
        ? [...(value as unknown[])]
        : { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys.length ? pick(keys) : 'extra';
      const action = rand();
      if (action < 0.3) delete (copy as Record<string, unknown>)[key];
      else if (action < 0.6) (copy as Record<string, unknown>)[key] = junk();
      else (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key], depth + 1);
      return copy;
    }
    return junk();
  };
  const statuses = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    let body: string;
    const kind = rand();
    if (kind < 0.7) body = JSON.stringify(mutate(mutate(firingFixture())));
    else if (kind < 0.85) body = JSON.stringify(firingFixture()).slice(0, Math.floor(rand() * 900));
    else body = JSON.stringify(junk()) ?? 'undefined';
    const response = await post(body);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    expect(response.statusCode).toBeLessThan(500);
    if (response.statusCode !== 200) expect(response.statusCode).toBe(400);
  }
  expect(statuses.get(400)).toBeGreaterThan(2000);
  // The server is still healthy afterwards.
  expect((await get('/healthz')).statusCode).toBe(200);
});
