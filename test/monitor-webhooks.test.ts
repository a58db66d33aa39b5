/**
 * Grafana Alerting's webhook contact point and generic webhooks (UptimeRobot's, read by the shipped
 * `uptimerobot` mapping) raise incidents through an integration's secret URL: the right team is paged,
 * the same group or monitor joins its incident, "up" clears it, and what a mapping cannot read is named.
 */
import { stateQuery, type IncidentState } from '../contract';
import { startTestApi, type TestApi } from './helpers/api';
import { runCli } from './helpers/cli';
import { useIncidentHarness, waitFor } from './helpers/harness';
import { teamPolicy } from './helpers/teams';

const policy = teamPolicy();
const h = useIncidentHarness({ name: 'monitor-webhooks', policy });
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(h.env, h.taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
});

async function addIntegration(...args: string[]): Promise<{ id: string; url: string; name: string }> {
  const added = await runCli(await api.as('ic'), 'integration', 'add', ...args, '--json');
  expect(added).toMatchObject({ code: 0 });
  return JSON.parse(added.stdout) as { id: string; url: string; name: string };
}

const post = async (url: string, body: unknown, type = 'application/json') => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { workflowId?: string; issues?: string[]; error?: string } };
};

const stateOf = (workflowId: string, what: string, until: (s: IncidentState) => boolean = (s) => s.number > 0) =>
  waitFor(async () => {
    const s = await h.env.client.workflow
      .getHandle(workflowId)
      .query(stateQuery)
      .catch(() => undefined);
    return s && until(s) ? s : undefined;
  }, what);

/** Grafana's documented webhook body (version 1), one alert. */
const grafana = (status: 'firing' | 'resolved', labels: Record<string, string>, groupKey: string) => ({
  receiver: 'incident-orchestrator',
  status,
  orgId: 1,
  alerts: [
    {
      status,
      labels,
      annotations: { summary: 'Memory usage above 90% on web-1' },
      startsAt: '2026-12-04T10:00:00Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-04T10:20:00Z',
      generatorURL: 'https://grafana.example.com/alerting/grafana/abc/view',
      fingerprint: `${groupKey}-fp`,
      silenceURL: 'https://grafana.example.com/alerting/silence/new',
      dashboardURL: 'https://grafana.example.com/d/web',
      panelURL: 'https://grafana.example.com/d/web?viewPanel=2',
      values: { B: 91.2 },
      valueString: "[ var='B' labels={instance=web-1} value=91.2 ]",
    },
  ],
  groupLabels: { alertname: labels.alertname! },
  commonLabels: labels,
  commonAnnotations: { summary: 'Memory usage above 90% on web-1' },
  externalURL: 'https://grafana.example.com/',
  version: '1',
  groupKey,
  truncatedAlerts: 0,
  title: `[${status.toUpperCase()}:1] ${labels.alertname}`,
  state: status === 'firing' ? 'alerting' : 'ok',
  message: '**Firing**',
});

test('Grafana Alerting: a firing group opens an incident for the integration’s service, labels naming a service win, resolved clears it', async () => {
  const g = await addIntegration('--kind', 'grafana', '--name', 'grafana-prod', '--service', 'web');
  expect(g.url).toMatch(new RegExp(`^${api.web.url}/integrations/[0-9a-f]{32}$`));
  const key = `{}:{alertname="HighMemory${Date.now()}"}`;
  const labels = { alertname: `HighMemory${Date.now()}`, severity: 'warning', instance: 'web-1' };
  const fired = await post(g.url, grafana('firing', labels, key));
  expect(fired).toMatchObject({ status: 202, body: { workflowId: expect.any(String) } });
  const opened = await stateOf(fired.body.workflowId!, 'the Grafana incident');
  expect(opened).toMatchObject({
    service: 'web',
    team: 'platform',
    severity: 'P3',
    source: 'integration',
    declaredBy: 'integration grafana-prod',
  });
  expect(opened.title).toBe('Memory usage above 90% on web-1');
  expect((await post(g.url, grafana('resolved', labels, key))).status).toBe(202);
  const resolved = await stateOf(fired.body.workflowId!, 'the resolution', (s) => s.status === 'resolved');
  expect(resolved.resolvedBy).toBe('integration grafana-prod');

  // A Grafana alert labelled with a service the policy knows goes to that service's team.
  const db = await post(
    g.url,
    grafana('firing', { alertname: 'PgLag', service: 'postgres', severity: 'warning' }, `{}:{alertname="PgLag${Date.now()}"}`),
  );
  expect(await stateOf(db.body.workflowId!, 'the database incident')).toMatchObject({ service: 'postgres', team: 'db' });

  const bad = await post(g.url, { ...grafana('firing', labels, key), alerts: [] });
  expect(bad).toMatchObject({ status: 400, body: { issues: [expect.stringMatching(/^alerts: /)] } });
});

test('UptimeRobot through the shipped mapping: down opens, the same monitor joins, up clears; a form post works too', async () => {
  const u = await addIntegration('--kind', 'webhook', '--mapping', 'uptimerobot', '--name', 'uptimerobot', '--service', 'api');
  const monitor = `77${Date.now() % 100000}`;
  const down = {
    monitorID: monitor,
    monitorURL: 'https://shop.example.com',
    monitorFriendlyName: 'Shop homepage',
    alertType: '1',
    alertTypeFriendlyName: 'Down',
    alertDetails: 'Connection Timeout',
    alertDuration: '0',
  };
  const opened = await post(u.url, down);
  expect(opened.status).toBe(202);
  const state = await stateOf(opened.body.workflowId!, 'the UptimeRobot incident');
  expect(state).toMatchObject({ title: 'Shop homepage is Down: Connection Timeout', severity: 'P2', service: 'api', team: 'platform' });
  expect(state.alerts[0]!.annotations?.details).toBe('{"url":"https://shop.example.com","details":"Connection Timeout","down_for":"0"}');
  // The same monitor down again (a repeat notification): the same incident.
  expect((await post(u.url, down)).body.workflowId).toBe(opened.body.workflowId);
  // Up, as a form post: the alert clears; a P2 waits for a person to resolve it.
  const up = new URLSearchParams({ ...down, alertType: '2', alertTypeFriendlyName: 'Up', alertDetails: 'Back up', alertDuration: '180' });
  expect((await post(u.url, up.toString(), 'application/x-www-form-urlencoded')).status).toBe(202);
  const cleared = await stateOf(opened.body.workflowId!, 'the alert cleared', (s) => s.alerts.every((a) => a.status === 'resolved'));
  expect(cleared.timeline.map((e) => e.text)).toContainEqual('P2 waits for a human to resolve: an alert clearing is not a root cause');

  const missing = await post(u.url, { alertType: '1', monitorFriendlyName: 'Shop', alertTypeFriendlyName: 'Down', alertDetails: 'x' });
  expect(missing).toMatchObject({ status: 400, body: { issues: ['dedupKey: mapping uptimerobot found no text at monitorID'] } });
  expect((await post(`${api.web.url}/integrations/${'0'.repeat(32)}`, down)).status).toBe(404);
  expect(
    await runCli(await api.as('ic'), 'integration', 'add', '--kind', 'webhook', '--mapping', 'pingdom', '--name', 'p', '--service', 'api'),
  ).toMatchObject({ code: 2, stderr: expect.stringContaining('mapping: no webhook mapping "pingdom"; mappings: uptimerobot') });
});
