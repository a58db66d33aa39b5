// What a stranger on the network can do to the HTTP server: nothing that costs parsing, memory or
// connections for long, and nothing that reveals secrets or frames its pages.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ackToken } from '../security/ack-links';
import { buildApp } from '../server/app';
import { createMetrics } from '../server/metrics';
import { loadPolicy } from '../policy/load';
import { groupPayload } from './helpers/alerts';
import { openTestEnv, sleep, uniqueQueue, waitFor, type TestEnv } from './helpers/harness';

const TOKEN = 'strangers-test-token';
const SECRET = 'strangers-ack-secret';
const policy = loadPolicy();
const metrics = createMetrics();
const logLines: string[] = [];
let env: TestEnv;
let app: FastifyInstance;
let base: string;
let port: number;

beforeAll(async () => {
  env = await openTestEnv();
  app = buildApp({
    client: env.client,
    taskQueue: uniqueQueue('strangers'),
    policy,
    auth: { kind: 'bearer', token: TOKEN },
    metrics,
    metricsToken: 'scrape-token',
    limits: { requestTimeoutMs: 1000, maxConnections: 20, maxConnectionsPerAddress: 10 },
    logger: { level: 'info', stream: { write: (line: string) => void logLines.push(line) } },
    acknowledge: { ackSecret: SECRET, publicUrl: 'http://incidents.test' },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(base).port);
});
afterAll(async () => {
  await app.close();
  await env.close();
});

const parsedBodies = async () => (await metrics.bodiesParsed.get()).values.reduce((n, v) => n + v.value, 0);
/** A 1 MB body of nested arrays: expensive to parse, and to hold. */
const nested = () => '['.repeat(512 * 1024) + ']'.repeat(512 * 1024);

test('1 MB unauthenticated posts are refused before any parsing: the parser never runs', async () => {
  const before = await parsedBodies();
  const answers = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(`${base}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested() }).then(
        (r) => r.status,
      ),
    ),
  );
  expect(answers).toEqual(Array(8).fill(401));
  expect(await parsedBodies()).toBe(before);
  // The same route with credentials does parse: the counter is live.
  const ok = await fetch(`${base}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(groupPayload(`strangers-${Date.now()}`, { a1: 'firing' })),
  });
  expect(ok.status).toBe(200);
  expect(await parsedBodies()).toBe(before + 1);
});

test('a body sent slowly is cut at the request timeout', async () => {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const started = Date.now();
  socket.write(
    `POST /alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n0123456789`,
  );
  const at = await closed;
  // 1 s timeout, checked every 0.5 s: cut within about 1.5 s, never left open.
  expect(at - started).toBeLessThan(4000);
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
});

test('connections past the cap are closed at once', async () => {
  const sockets = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const extra = net.connect(port, '127.0.0.1');
  const closed = await new Promise<boolean>((resolve) => {
    extra.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 3000);
  });
  expect(closed).toBe(true);
  for (const s of sockets) s.destroy();
  await waitFor(
    async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200,
    'the server to take connections again',
  );
});

test('pages carry security headers; acknowledge pages are never cached; JSON goes only where a route expects it', async () => {
  const status = await fetch(`${base}/status`);
  expect(status.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(status.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(status.headers.get('x-content-type-options')).toBe('nosniff');
  expect(status.headers.get('referrer-policy')).toBe('no-referrer');
  const token = ackToken(SECRET, { i: 'INC-999999', c: 'engineer-a', e: Math.floor(Date.now() / 1000) - 1 });
  const ack = await fetch(`${base}/ack/${token}`);
  expect(ack.status).toBe(403); // expired
  expect(ack.headers.get('cache-control')).toBe('no-store');
  expect(ack.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  // A body where none is expected is not parsed.
  const stray = await fetch(`${base}/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"Body":"ACK INC-1"}',
  });
  expect(stray.status).toBe(415);
});

test('/metrics needs its own token; request logs are structured and carry no acknowledge token', async () => {
  expect((await fetch(`${base}/metrics`)).status).toBe(401);
  expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
  const scraped = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer scrape-token' } });
  expect(scraped.status).toBe(200);
  expect(await scraped.text()).toContain('webhook_requests_total');

  const token = ackToken(SECRET, { i: 'INC-999999', c: 'engineer-a', e: Math.floor(Date.now() / 1000) - 1 });
  await fetch(`${base}/ack/${token}`);
  await waitFor(() => logLines.some((l) => l.includes('/ack/[redacted]')), 'the request log');
  const entries = logLines.map((l) => JSON.parse(l) as { req?: { url: string }; res?: { statusCode: number } });
  expect(entries.some((e) => e.req?.url === '/ack/[redacted]')).toBe(true);
  expect(entries.some((e) => e.res?.statusCode === 403)).toBe(true);
  expect(logLines.join('\n')).not.toContain(token.split('.')[1]!);
  expect(logLines.join('\n')).not.toContain(TOKEN);

  // Subscription links never expire, and a codec token in a path reads every payload: neither is logged.
  const unsubscribe = 'unsubscribe-token-that-must-not-be-logged';
  await fetch(`${base}/status/subscriptions/unsubscribe/${unsubscribe}`);
  await fetch(`${base}/codec/codec-token-that-must-not-be-logged/decode`, { method: 'POST' });
  await waitFor(() => logLines.some((l) => l.includes('/status/subscriptions/unsubscribe/[redacted]')), 'the subscription request log');
  await waitFor(() => logLines.some((l) => l.includes('/codec/[redacted]/decode')), 'the codec request log');
  // Heartbeat and integration URLs are their keys; a page call's key URL carries an acknowledge token.
  await fetch(`${base}/heartbeat/heartbeat-key-that-must-not-be-logged`);
  await fetch(`${base}/integrations/integration-key-that-must-not-be-logged`, { method: 'POST', body: '{}' });
  await fetch(`${base}/twilio/voice/keys/call-token-that-must-not-be-logged`, { method: 'POST' });
  await waitFor(() => logLines.some((l) => l.includes('/heartbeat/[redacted]')), 'the heartbeat request log');
  await waitFor(() => logLines.some((l) => l.includes('/integrations/[redacted]')), 'the integration request log');
  await waitFor(() => logLines.some((l) => l.includes('/twilio/voice/keys/[redacted]')), 'the call key request log');
  expect(logLines.join('\n')).not.toContain('must-not-be-logged');
});

test('one client address cannot hold every connection: past its share, its sockets close, and others are still served', async () => {
  // Another loopback address plays the stranger (Linux routes all of 127/8 to lo).
  const sockets: net.Socket[] = [];
  const closed: number[] = [];
  for (let i = 0; i < 15; i++) {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    socket.on('error', () => undefined);
    socket.once('close', () => closed.push(i));
    sockets.push(socket);
  }
  try {
    await waitFor(() => closed.length >= 5, "the stranger's extra sockets to be closed", 5000);
    await sleep(200);
    expect(closed.length).toBe(5);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  } finally {
    for (const socket of sockets) socket.destroy();
  }
});
