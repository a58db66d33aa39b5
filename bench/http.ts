/**
 * `npm run bench:http`: what strangers cost the HTTP server. /healthz latency when idle, then while
 * 8 connections keep posting 1 MB nested-array bodies without credentials (from a worker thread, so
 * the attack does not share the server's event loop), in the same run. Prints a table; asserts nothing.
 */
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../server/app';
import { createMetrics } from '../server/metrics';
import { loadPolicy } from '../policy/load';

const PROBES = Number(process.env.BENCH_PROBES ?? 2000);
const ATTACKERS = Number(process.env.BENCH_ATTACKERS ?? 8);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const pct = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * p))]!;
const mb = () => round(process.memoryUsage().rss / 1024 / 1024, 0);

// The attack: each loop posts a 1 MB body of nested arrays, no credentials, until told to stop.
const ATTACK = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const body = '['.repeat(512 * 1024) + ']'.repeat(512 * 1024);
let stop = false, sent = 0;
const statuses = {};
parentPort.on('message', () => (stop = true));
const one = () => new Promise((resolve) => {
  const req = http.request({ host: '127.0.0.1', port: workerData.port, path: '/alertmanager', method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
    res.resume(); res.on('end', () => { statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); });
  });
  req.on('error', () => { statuses.error = (statuses.error || 0) + 1; resolve(); });
  req.end(body);
});
Promise.all(Array.from({ length: workerData.attackers }, async () => { while (!stop) { await one(); sent++; } }))
  .then(() => parentPort.postMessage({ sent, statuses }));
`;

async function probe(port: number, n: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
        .on('error', reject);
    });
    times.push(performance.now() - t);
  }
  agent.destroy();
  return times;
}

async function main() {
  const metrics = createMetrics();
  // No Temporal is needed: neither /healthz nor a refused post reaches it.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7' }) });
  const app = buildApp({ client, taskQueue: 'bench', policy: loadPolicy(), auth: { kind: 'bearer', token: 'bench-secret' }, metrics });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    await probe(port, 50); // warm-up
    const rssIdle = mb();
    const idle = await probe(port, PROBES);
    const attack = new Worker(ATTACK, { eval: true, workerData: { port, attackers: ATTACKERS } });
    const done = new Promise<{ sent: number; statuses: Record<string, number> }>((resolve) => attack.once('message', resolve));
    await new Promise((r) => setTimeout(r, 500));
    const loaded = await probe(port, PROBES);
    const rssLoaded = mb();
    attack.postMessage('stop');
    const { sent, statuses } = await done;
    await attack.terminate();
    const parsed = (await metrics.bodiesParsed.get()).values.reduce((n, v) => n + v.value, 0);
    const row = (name: string, a: string | number, b: string | number, ratio = '') => `| ${name} | ${a} | ${b} | ${ratio} |`;
    console.log(
      [
        `HTTP server under ${ATTACKERS} connections posting 1 MB unauthenticated nested-array bodies (${PROBES} sequential /healthz probes each)`,
        '',
        '| Measure | Idle | Under attack | Attack / idle |',
        '| --- | --- | --- | --- |',
        row('/healthz p50 (ms)', round(pct(idle, 0.5), 2), round(pct(loaded, 0.5), 2), `${round(pct(loaded, 0.5) / pct(idle, 0.5), 1)}×`),
        row(
          '/healthz p99 (ms)',
          round(pct(idle, 0.99), 2),
          round(pct(loaded, 0.99), 2),
          `${round(pct(loaded, 0.99) / pct(idle, 0.99), 1)}×`,
        ),
        row('Process RSS (MB)', rssIdle, rssLoaded, `${round(rssLoaded / rssIdle, 2)}×`),
        row(
          'Attack posts answered',
          '-',
          `${sent} (${Object.entries(statuses)
            .map(([s, n]) => `${n}×${s}`)
            .join(', ')})`,
        ),
        row('Bodies parsed', '-', parsed),
      ].join('\n'),
    );
  } finally {
    await app.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
