/* eslint-disable @typescript-eslint/no-require-imports */
// Load generator for bench-ingest (Alertmanager's webhook, or another route such as the Events API), run in a worker thread so posting does not share the
// server's event loop (Alertmanager is a separate process too). node:http with keep-alive,
// which costs far less CPU than fetch on this 2-core machine. Plain JS: no build step.
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');

const { base, token, bodies, concurrency, intervalMs, route } = workerData;
const url = new URL(`${base}${route ?? '/alertmanager'}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 64) });

function post(body) {
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', () => resolve(-1));
    request.end(body);
  });
}

async function main() {
  const results = new Array(bodies.length);
  const started = performance.now();
  const one = async (i) => {
    if (intervalMs) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const t = performance.now();
    const status = await post(bodies[i]);
    results[i] = { status, sentAt: performance.timeOrigin + t, ms: performance.now() - t };
  };
  if (intervalMs) {
    await Promise.all(bodies.map((_, i) => one(i)));
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) await one(next++);
      }),
    );
  }
  agent.destroy();
  parentPort.postMessage({ results, seconds: (performance.now() - started) / 1000 });
}

void main();
