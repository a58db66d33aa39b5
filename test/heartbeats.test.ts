/**
 * Heartbeats: a job pings its secret URL; while it does, nothing happens; silence past its interval
 * and grace opens one incident for its service (a durable timer, no polling); the next ping resolves
 * it; removing the integration stops the watch.
 */
import { startTestApi, type TestApi } from './helpers/api';
import { runCli } from './helpers/cli';
import { sleep, useIncidentHarness, waitFor } from './helpers/harness';
import { teamPolicy } from './helpers/teams';

const policy = teamPolicy();
const h = useIncidentHarness({ name: 'heartbeats', policy });
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(h.env, h.taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
});

const incidentsOf = async (name: string) =>
  (
    await h.env.pool.query<{ number: number; title: string; severity: string; team: string; status: string }>(
      'SELECT number, title, severity, team, status FROM incidents WHERE declared_by = $1 ORDER BY number',
      [`integration ${name}`],
    )
  ).rows;

test('a silent heartbeat opens an incident for its service; the next ping resolves it; removing it stops the watch', async () => {
  const name = `nightly-backup-${Date.now()}`;
  const added = await runCli(
    await api.as('ic'),
    'integration',
    'add',
    '--kind',
    'heartbeat',
    '--name',
    name,
    '--service',
    'postgres',
    '--every',
    '3s',
    '--grace',
    '2s',
    '--json',
  );
  expect(added.code).toBe(0);
  const hb = JSON.parse(added.stdout) as { id: string; url: string; heartbeat: object };
  expect(hb.url).toMatch(new RegExp(`^${api.web.url}/heartbeat/[0-9a-f]{32}$`));
  expect(hb.heartbeat).toEqual({ everySeconds: 3, graceSeconds: 2, severity: 'P3' });

  // Pinging every second keeps it quiet.
  for (let i = 0; i < 4; i++) {
    const answer = await fetch(hb.url);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: 'ok', heartbeat: name, silentAfter: '5s' });
    await sleep(1000);
  }
  expect(await incidentsOf(name)).toEqual([]);

  // Silence past 5 s: one incident for postgres, owned by its team.
  const [opened] = await waitFor(async () => ((await incidentsOf(name)).length ? incidentsOf(name) : undefined), 'the silence', 20_000);
  expect(opened).toMatchObject({ title: `${name}: no heartbeat for 5s`, severity: 'P3', team: 'db', status: 'open' });

  // The next ping (a POST, as some tools send) clears it: a P3 resolves itself. Removed right after (before
  // another 5 s of silence could open a second incident), the watch ends, and its URL is refused.
  expect((await fetch(hb.url, { method: 'POST', body: 'backup done' })).status).toBe(200);
  expect((await runCli(await api.as('ic'), 'integration', 'remove', hb.id)).code).toBe(0);
  await waitFor(async () => ((await incidentsOf(name))[0]?.status === 'resolved' ? true : undefined), 'the resolution', 30_000);
  expect(await incidentsOf(name)).toHaveLength(1);
  expect(await h.env.client.workflow.getHandle(`heartbeat-${hb.id}`).result()).toBe(
    'stopped: the integration was removed by Incident Commander',
  );
  await waitFor(async () => ((await fetch(hb.url)).status === 404 ? true : undefined), 'the URL refused', 15_000);
});

test('a heartbeat needs its interval; a made-up ping URL is a 404', async () => {
  expect(await runCli(await api.as('ic'), 'integration', 'add', '--kind', 'heartbeat', '--name', 'x', '--service', 'api')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--every: required for a heartbeat'),
  });
  expect((await fetch(`${api.web.url}/heartbeat/${'0'.repeat(32)}`)).status).toBe(404);
});
