/**
 * The Events API v2: monitors that speak PagerDuty's events raise incidents here. An admin adds an
 * integration (its key shown once); events with that key open, join, acknowledge and resolve the
 * incident of their dedup key, paging the team that owns the integration's service; bad events are
 * answered 400 naming the field, a key over its rate 429; the real Alertmanager's pagerduty_configs
 * works against it unchanged.
 */
import { stateQuery, type IncidentState } from '../contract';
import { workflowIdForEvent } from '../server/intake/events-v2';
import { startAlertmanagerWith, type RunningAlertmanager } from './helpers/alertmanager';
import { startTestApi, type TestApi } from './helpers/api';
import { runCli } from './helpers/cli';
import { pdEventsClient } from './helpers/pd-client';
import { useIncidentHarness, waitFor } from './helpers/harness';
import { teamPolicy } from './helpers/teams';

const policy = teamPolicy();
let am: RunningAlertmanager | undefined;
const h = useIncidentHarness({ name: 'events-api', policy, beforeTeardown: async () => am?.stop() });
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(h.env, h.taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
});

type Created = { id: string; name: string; key: string; url: string };
async function addIntegration(name: string, service: string, ...more: string[]): Promise<Created> {
  const added = await runCli(await api.as('ic'), 'integration', 'add', '--name', name, '--service', service, ...more, '--json');
  expect(added.code).toBe(0);
  return JSON.parse(added.stdout) as Created;
}

const send = async (event: unknown) => {
  const response = await fetch(`${api.web.url}/v2/enqueue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof event === 'string' ? event : JSON.stringify(event),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
};

const stateOf = (integration: Created, dedupKey: string, what: string, until: (s: IncidentState) => boolean = (s) => s.number > 0) =>
  waitFor(async () => {
    const s = await h.env.client.workflow
      .getHandle(workflowIdForEvent(integration, dedupKey))
      .query(stateQuery)
      .catch(() => undefined);
    return s && until(s) ? s : undefined;
  }, what);

test("a trigger opens an incident for the integration's service and team; the same dedup key joins it; resolve clears it", async () => {
  const grafana = await addIntegration('grafana', 'postgres');
  expect(grafana.key).toMatch(/^[0-9a-f]{32}$/);
  expect(grafana.url).toBe(`${api.web.url}/v2/enqueue`);
  const trigger = {
    routing_key: grafana.key,
    event_action: 'trigger',
    dedup_key: 'replication-lag-db-1',
    payload: { summary: 'Replication lag above 30 s on db-1', source: 'db-1', severity: 'warning', custom_details: { lag: 42 } },
    links: [{ href: 'https://grafana.example.com/d/lag', text: 'Dashboard' }],
  };
  expect(await send(trigger)).toMatchObject({
    status: 202,
    body: { status: 'success', message: 'Event processed', dedup_key: 'replication-lag-db-1' },
  });
  const opened = await stateOf(grafana, 'replication-lag-db-1', 'the incident');
  expect(opened).toMatchObject({
    title: 'Replication lag above 30 s on db-1',
    severity: 'P3',
    service: 'postgres',
    team: 'db',
    source: 'integration',
    declaredBy: 'integration grafana',
  });
  expect(opened.alerts[0]).toMatchObject({
    fingerprint: 'replication-lag-db-1',
    status: 'firing',
    labels: { source: 'db-1', integration: 'grafana' },
  });
  expect(opened.alerts[0]!.annotations).toMatchObject({ details: '{"lag":42}', links: 'https://grafana.example.com/d/lag' });

  // The same dedup key again: the same incident, the alert once.
  expect((await send(trigger)).status).toBe(202);
  expect((await send({ routing_key: grafana.key, event_action: 'resolve', dedup_key: 'replication-lag-db-1' })).status).toBe(202);
  const resolved = await stateOf(grafana, 'replication-lag-db-1', 'the resolution', (s) => s.status === 'resolved');
  expect(resolved.incidentId).toBe(opened.incidentId);
  expect(resolved.alerts).toHaveLength(1);
  expect(resolved.resolvedBy).toBe('integration grafana');
  expect(resolved.timeline.map((e) => `${e.actor}: ${e.text}`)).toContainEqual(
    'integration grafana: Alerts cleared: every alert of the group reports resolved',
  );
  const listed = await runCli(await api.as('ic'), 'integration', 'list');
  expect(listed.stdout).toMatch(new RegExp(`${grafana.id}\\s+grafana\\s+events-v2\\s+postgres\\s+120\\s+\\d{4}-`));
});

test('acknowledge acknowledges the open incident as the integration, verified as such; no dedup key is made one', async () => {
  const monitor = await addIntegration('uptime', 'api');
  const made = await send({
    routing_key: monitor.key,
    event_action: 'trigger',
    payload: { summary: 'API down', source: 'probe', severity: 'critical' },
  });
  expect(made).toMatchObject({ status: 202, body: { dedup_key: expect.stringMatching(/^[0-9a-f]{32}$/) } });
  const dedupKey = made.body.dedup_key as string;
  const opened = await stateOf(monitor, dedupKey, 'the P1');
  expect(opened).toMatchObject({ severity: 'P1', team: 'platform' });
  expect((await send({ routing_key: monitor.key, event_action: 'acknowledge', dedup_key: dedupKey })).status).toBe(202);
  const acked = await stateOf(monitor, dedupKey, 'the acknowledgement', (s) => s.status === 'acknowledged');
  expect(acked).toMatchObject({ acknowledgedBy: 'integration uptime', acknowledgedVia: 'integration' });
  // Acknowledging again, or a dedup key with no incident: processed, nothing changes.
  expect((await send({ routing_key: monitor.key, event_action: 'acknowledge', dedup_key: dedupKey })).status).toBe(202);
  expect((await send({ routing_key: monitor.key, event_action: 'acknowledge', dedup_key: 'never-triggered' })).status).toBe(202);
});

test('a bad event is answered 400 naming what is wrong; an unknown or revoked key is refused; past its rate, 429', async () => {
  const checks = await addIntegration('checks', 'web', '--rate', '3');
  const invalid = async (event: unknown) => {
    const answer = await send(event);
    expect(answer).toMatchObject({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid' } });
    return (answer.body.errors as string[]).join('; ');
  };
  const ok = { routing_key: checks.key, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } };
  expect(await invalid({ ...ok, payload: { source: 'x', severity: 'info' } })).toBe('payload.summary: required');
  expect(await invalid({ ...ok, payload: { ...ok.payload, severity: 'fatal' } })).toBe(
    'payload.severity: expected critical, error, warning or info',
  );
  expect(await invalid({ ...ok, event_action: 'page' })).toBe('event_action: expected trigger, acknowledge or resolve');
  expect(await invalid({ routing_key: checks.key, event_action: 'resolve' })).toBe('dedup_key: required to resolve');
  expect(await invalid({ ...ok, routing_key: 'short' })).toBe('routing_key: an integration key is 32 characters');
  expect(await invalid({ ...ok, routing_key: '0'.repeat(32) })).toBe('routing_key: no Events API integration has this key');
  expect(await invalid('{"routing_key":')).toMatch(/^body: malformed JSON/);

  // Three a minute: the fourth is throttled (none of the refused ones above counted).
  for (let i = 0; i < 3; i++) expect((await send({ ...ok, dedup_key: `rate-${i}` })).status).toBe(202);
  const throttled = await send({ ...ok, dedup_key: 'rate-3' });
  expect(throttled).toMatchObject({ status: 429, body: { status: 'throttle event' } });
  expect(Number(throttled.retryAfter)).toBeGreaterThan(0);

  const removed = await runCli(await api.as('ic'), 'integration', 'remove', checks.id);
  expect(removed).toMatchObject({ code: 0, stdout: expect.stringContaining(`${checks.id} (checks) revoked`) });
  await waitFor(
    async () => ((await send({ ...ok, dedup_key: 'after-revoke' })).status === 400 ? true : undefined),
    'the revoked key refused',
    15_000,
  );

  // Only admins manage integrations.
  expect(await runCli(await api.as('gita'), 'integration', 'add', '--name', 'x', '--service', 'web')).toMatchObject({
    stderr: expect.stringContaining('managing integrations'),
  });
  expect(await runCli(await api.as('ic'), 'integration', 'add', '--name', 'x', '--service', 'webb')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('service: no service "webb"; services: api, web, postgres, redis, payments-api'),
  });
});

test("the real Alertmanager's pagerduty_configs opens and resolves an incident through the Events API", async () => {
  const pd = await addIntegration('alertmanager-pd', 'redis');
  am = await startAlertmanagerWith(`
    pagerduty_configs:
      - routing_key: ${pd.key}
        url: ${api.web.url}/v2/enqueue
        send_resolved: true
        severity: warning`);
  const alertname = `RedisMemoryHigh${Date.now()}`;
  await am.push([{ labels: { alertname, instance: 'redis-1' }, annotations: { summary: 'Redis memory above 90%' } }]);
  const row = await waitFor(
    async () => {
      const { rows } = await h.env.pool.query<{ number: number; title: string; status: string; severity: string; team: string }>(
        "SELECT number, title, status, severity, team FROM incidents WHERE declared_by = 'integration alertmanager-pd' AND title LIKE $1",
        [`%${alertname}%`],
      );
      return rows[0];
    },
    'the incident from Alertmanager',
    20_000,
  );
  expect(row).toMatchObject({ severity: 'P3', team: 'db', status: 'open' });
  await am.push([
    { labels: { alertname, instance: 'redis-1' }, annotations: { summary: 'Redis memory above 90%' }, endsAt: new Date().toISOString() },
  ]);
  await waitFor(
    async () =>
      (await h.env.pool.query<{ status: string }>('SELECT status FROM incidents WHERE number = $1', [row.number])).rows[0]?.status ===
      'resolved'
        ? true
        : undefined,
    'the resolution from Alertmanager',
    30_000,
  );
});

test("PagerDuty's own Go client (go-pagerduty) triggers and resolves through the Events API", async () => {
  const send = await pdEventsClient();
  const gopd = await addIntegration('go-pagerduty', 'web');
  const triggered = await send(api.web.url, {
    routing_key: gopd.key,
    event_action: 'trigger',
    dedup_key: 'checkout-5xx',
    payload: { summary: 'Checkout answers 5xx', source: 'lb-1', severity: 'warning', component: 'checkout' },
  });
  expect(triggered).toMatchObject({ ok: true });
  expect(JSON.parse(triggered.out)).toMatchObject({ status: 'success', dedup_key: 'checkout-5xx', message: 'Event processed' });
  const opened = await stateOf(gopd, 'checkout-5xx', 'the incident');
  expect(opened).toMatchObject({ title: 'Checkout answers 5xx', service: 'web', team: 'platform', severity: 'P3' });
  expect((await send(api.web.url, { routing_key: gopd.key, event_action: 'resolve', dedup_key: 'checkout-5xx' })).ok).toBe(true);
  await stateOf(gopd, 'checkout-5xx', 'the resolution', (s) => s.status === 'resolved');
  // A bad event is refused as PagerDuty refuses it (the client reports the 400, as it does against PagerDuty).
  const refused = await send(api.web.url, { routing_key: gopd.key, event_action: 'trigger' });
  expect(refused).toMatchObject({ ok: false, out: expect.stringContaining('status code 400') });
});
