/**
 * What ships for monitoring the orchestrator: the Prometheus alert rules pass promtool's checks and
 * unit tests, and every metric the rules and the Grafana dashboard name is exported by /metrics.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createStoreMetrics } from '../server/store-metrics';
import { teamPolicy } from './helpers/teams';
import { declareIncident, useIncidentHarness, waitFor } from './helpers/harness';
import { METRICS_TOKEN, startWebhook, type TestWebhook } from './helpers/webhook';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const deploy = path.resolve(__dirname, '../deploy');
const rules = path.join(deploy, 'prometheus/incident-orchestrator.rules.yml');
let http: TestWebhook;
const h = useIncidentHarness({ name: 'observability', beforeTeardown: async () => http?.close() });
beforeAll(async () => {
  http = await startWebhook(h.env.client, h.taskQueue, h.policy, 5000, undefined, { storeMetrics: createStoreMetrics(h.env.pool) });
});

test('the alert rules pass promtool check rules and their unit tests', async () => {
  const checked = await run(PROMTOOL, ['check', 'rules', rules]);
  expect(checked.stdout).toContain('SUCCESS: 7 rules found');
  const tested = await run(PROMTOOL, ['test', 'rules', path.join(deploy, 'prometheus/incident-orchestrator.rules.test.yml')]);
  expect(tested.stdout).toContain('SUCCESS');
});

test('every metric the rules and the dashboard name is exported, with the store read at scrape time', async () => {
  const { state } = await declareIncident(h.env, h.taskQueue, { policy: h.policy, severity: 'P2' });
  // An incident of a policy with teams is counted under its team too.
  const owned = await declareIncident(h.env, h.taskQueue, { policy: teamPolicy(), severity: 'P2', service: 'postgres', team: 'db' });
  for (const number of [state.number, owned.state.number])
    await waitFor(async () => (await h.env.pool.query('SELECT 1 FROM incidents WHERE number = $1', [number])).rowCount, 'the row');
  await fetch(`${http.url}/readyz`);
  const scraped = await (await fetch(`${http.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const exported = new Set([...scraped.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => m[1]!));
  // Some are exported only once something happened: paging metrics live in the worker's registry here.
  exported.add('pages_total').add('incident_first_page_seconds');
  expect(scraped).toMatch(/^incidents_open\{severity="P2",status="open"\} [1-9]/m);
  expect(scraped).toMatch(/^incidents_open\{severity="P2",status="open",team="db"\} [1-9]/m);
  expect(scraped).toMatch(/^outbox_oldest_age_seconds \d/m);
  expect(scraped).toMatch(/^temporal_reachable 1$/m);

  const dashboard = JSON.parse(readFileSync(path.join(deploy, 'grafana/incident-orchestrator.json'), 'utf8')) as {
    panels: { targets: { expr: string }[] }[];
  };
  const exprs = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ...readFileSync(rules, 'utf8').matchAll(/expr: \|?\s*([^\n]+(?:\n {12}[^\n]+)*)/g),
  ].map((e) => (typeof e === 'string' ? e : e[1]!));
  const functions = new Set([
    'sum',
    'by',
    'rate',
    'increase',
    'delta',
    'histogram_quantile',
    'max',
    'absent',
    'le',
    'up',
    'and',
    'or',
    'quantile',
  ]);
  const named = new Set(
    exprs
      .flatMap((e) => e.replace(/\{[^}]*\}|\[[^\]]*\]/g, '').match(/[a-z_][a-z0-9_]*/g) ?? [])
      .filter((w) => !functions.has(w) && !/^(severity|status|kind|channel|outcome|what|route|job|level|team)$/.test(w))
      .map((w) => w.replace(/_(bucket|sum|count)$/, '')),
  );
  expect([...named].filter((name) => !exported.has(name))).toEqual([]);
  expect(named.size).toBeGreaterThanOrEqual(10);
});
