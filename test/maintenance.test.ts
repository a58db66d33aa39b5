/**
 * Maintenance windows: alerts of a service in one are recorded and page nobody; the window ends on time
 * by itself (a durable timer) or when someone ends it, and alerts page again.
 */
import { randomUUID } from 'node:crypto';
import { stateQuery, type IncidentState } from '../contract';
import { startMaintenance } from '../client/maintenance';
import { runCli } from './helpers/cli';
import { declareIncident, sleep, useIncidentHarness, waitFor } from './helpers/harness';

const h = useIncidentHarness({ name: 'maintenance' });
const cliEnv = () => ({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue });
const mailsFor = (incidentId: string) =>
  h.smtp.mails.filter((m) => m.subject.includes(`${incidentId}:`) || m.text.includes(`${incidentId}:`));

async function alertFor(service: string) {
  const firing = {
    fingerprint: randomUUID(),
    name: 'HighErrorRate',
    status: 'firing' as const,
    labels: { alertname: 'HighErrorRate', service },
  };
  return declareIncident(h.env, h.taskQueue, { policy: h.policy, severity: 'P1', service, source: 'alertmanager', alerts: [firing] });
}

test('alerts of a service in maintenance page nobody; ending the window makes them page again', async () => {
  const service = `checkout-${randomUUID().slice(0, 6)}`;
  const started = await runCli(
    cliEnv(),
    'maintenance',
    'start',
    '--service',
    service,
    '--for',
    '2h',
    '--reason',
    'database upgrade',
    '--as',
    'ic',
  );
  expect(started.code).toBe(0);
  const id = /^(M-\d+):/.exec(started.stdout)![1]!;
  expect(started.stdout).toContain(`${service} in maintenance until`);
  expect((await runCli(cliEnv(), 'maintenance', 'list')).stdout).toMatch(
    new RegExp(`${id}\\s+${service}\\s.*database upgrade \\(by ic\\)`),
  );

  const quiet = await alertFor(service);
  const closed = await waitFor(async () => {
    const s = await quiet.handle.query(stateQuery);
    return s?.status === 'resolved' ? s : undefined;
  }, 'the incident closed by the window');
  expect(closed).toMatchObject({ resolvedBy: 'maintenance', escalationLevel: -1 });
  expect(closed.timeline.map((e) => e.text)).toContainEqual(
    expect.stringMatching(
      new RegExp(`^During maintenance ${id} of ${service} \\(until .*, by ic: database upgrade\\): alerts recorded, nobody paged$`),
    ),
  );
  await quiet.handle.result();
  await sleep(1000);
  expect(mailsFor(quiet.state.incidentId)).toEqual([]);

  expect(await runCli(cliEnv(), 'maintenance', 'end', id, '--as', 'ic')).toMatchObject({
    code: 0,
    stdout: `${id} ended: alerts of ${service} page again\n`,
  });
  await waitFor(async () => !(await runCli(cliEnv(), 'maintenance', 'list')).stdout.includes(id), 'the window to end');
  const loud = await alertFor(service);
  await waitFor(() => mailsFor(loud.state.incidentId).find((m) => m.subject.includes('(page:')), 'a page after the window');
  expect(((await loud.handle.query(stateQuery)) as IncidentState).status).toBe('open');
  expect(await runCli(cliEnv(), 'maintenance', 'end', 'M-x')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('expected a window id such as M-3'),
  });
  expect(await runCli(cliEnv(), 'maintenance', 'start', '--service', service, '--for', '2 hours', '--reason', 'x')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--for: expected a duration such as 30m, 2h or 1d'),
  });
});

test('a window ends on time by itself, written in the store', async () => {
  const service = `search-${randomUUID().slice(0, 6)}`;
  const window = await startMaintenance(h.env.client, h.taskQueue, { service, minutes: 0.05, reason: 'reindex', by: 'ops' });
  expect(window).toMatchObject({ service, reason: 'reindex', createdBy: 'ops' });
  const { rows } = await waitFor(async () => {
    const r = await h.env.pool.query<{ ended_by: string; ended_at: Date; ends_at: Date }>(
      'SELECT ended_by, ended_at, ends_at FROM maintenance_windows WHERE workflow_id = $1 AND ended_at IS NOT NULL',
      [window.workflowId],
    );
    return r.rows.length ? r : undefined;
  }, 'the window to end on time');
  expect(rows[0]!.ended_by).toBe('schedule');
  // Ended by its timer: at its time, or a little after it, never before.
  expect(rows[0]!.ended_at.getTime()).toBeGreaterThanOrEqual(rows[0]!.ends_at.getTime());
  expect(rows[0]!.ended_at.getTime() - rows[0]!.ends_at.getTime()).toBeLessThan(10_000);
});
