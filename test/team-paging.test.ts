/**
 * Many teams: an alert pages the on-call of the team that owns what broke (its labels choose the
 * service, the service its team and escalation policy), and nobody else; a gap in a team's schedule
 * pages its next level; an alert of no known service goes to the default team, and says so.
 */
import { randomUUID } from 'node:crypto';
import { stateQuery } from '../contract';
import { workflowIdForGroup } from '../server/webhook/mapping';
import type { WebhookPayload } from '../server/webhook/payload';
import { scheduleAt } from '../policy/schedules';
import { WEEKDAYS } from '../policy/zoned-time';
import { groupPayload } from './helpers/alerts';
import { sleep, useIncidentHarness, waitFor } from './helpers/harness';
import { teamPolicy } from './helpers/teams';
import { runCli } from './helpers/cli';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const DAY_MS = 86_400_000;
/** Payments works one day a week here, two days from now (UTC): never within its hours while this file runs. */
const businessDay = new Date(Date.now() + 2 * DAY_MS);
const businessHoursStart = new Date(
  Date.UTC(businessDay.getUTCFullYear(), businessDay.getUTCMonth(), businessDay.getUTCDate(), 9),
).toISOString();
const weekday = WEEKDAYS[businessDay.getUTCDay()]!;
const policy = teamPolicy();
policy.severities.P2.businessHoursOnly = true;
policy.teams = policy.teams.map((t) =>
  t.id === 'payments' ? { ...t, businessHours: { timeZone: 'UTC', hours: [{ days: [weekday], from: '09:00', to: '17:00' }] } } : t,
);
const h = useIncidentHarness({ name: 'team-paging', policy });
let webhook: TestWebhook;
beforeAll(async () => {
  webhook = await startWebhook(h.env.client, h.taskQueue, policy);
});
afterAll(async () => {
  await webhook?.close();
});

/** An alert group with exactly these labels (the fixture's service and job taken out). */
function alert(labels: Record<string, string>): WebhookPayload {
  const payload = groupPayload(`{}:{alertname="${labels.alertname}",run="${randomUUID()}"}`, { [randomUUID()]: 'firing' }, labels);
  const strip = (l: Record<string, string>) => {
    for (const name of ['service', 'job']) if (!(name in labels)) delete l[name];
  };
  strip(payload.commonLabels);
  for (const a of payload.alerts) strip(a.labels);
  return payload;
}

const onCallOf = (scheduleId: string) =>
  scheduleAt(
    policy.schedules.find((s) => s.id === scheduleId)!,
    Date.now(),
  ).contactId!;
const emailOf = (id: string) => policy.contacts.find((c) => c.id === id)!.email;
const pagesFor = (incidentId: string) => h.smtp.mails.filter((m) => m.subject.includes(`${incidentId}:`) && m.subject.includes('(page:'));

async function open(payload: WebhookPayload) {
  expect((await webhook.post(payload)).status).toBe(200);
  const handle = h.env.client.workflow.getHandle(workflowIdForGroup(payload.groupKey));
  const state = await waitFor(async () => {
    const s = await handle.query(stateQuery).catch(() => undefined);
    return s?.number ? s : undefined;
  }, 'the incident to open');
  return { handle, state };
}

test("an alert labelled team=db pages the databases team's on-call, and nobody else", async () => {
  const { handle, state } = await open(alert({ alertname: 'ReplicationLag', team: 'db', severity: 'critical' }));
  expect(state.team).toBe('db');
  const primary = onCallOf('db-primary');
  const page = await waitFor(() => pagesFor(state.incidentId)[0], 'the first page');
  expect(page.to).toEqual([emailOf(primary)]);
  expect(page.subject).toContain('Database on-call');
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.map((e) => e.text)).toContainEqual('Owned by team Databases (db): team, by label team');
  // Nobody of another team heard of it: every page so far went to the database team.
  await sleep(1500);
  const dbEmails = ['gita', 'hugo', 'ines'].map(emailOf);
  for (const mail of pagesFor(state.incidentId)) for (const to of mail.to) expect(dbEmails).toContain(to);
});

test('labels choose the service by the first matching route; its team and escalation policy follow', async () => {
  const { handle, state } = await open(alert({ alertname: 'PostgresReplicaDown', severity: 'critical' }));
  expect(state).toMatchObject({ service: 'postgres', team: 'db' });
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.map((e) => e.text)).toContainEqual('Owned by team Databases (db): service, by route 1');
  // Unacknowledged, the second level of the database policy pages the secondary schedule's on-call.
  const secondary = onCallOf('db-secondary');
  const second = await waitFor(
    () => pagesFor(state.incidentId).find((m) => m.subject.includes('Database secondary')),
    'the database secondary page',
    15_000,
  );
  expect(second.to).toEqual([emailOf(secondary)]);
});

test('an alert of no known service goes to the default service team, with a warning on the timeline', async () => {
  const { handle, state } = await open(alert({ alertname: 'DiskFull', service: 'billing-batch', severity: 'critical' }));
  expect(state).toMatchObject({ service: 'billing-batch', team: 'platform' });
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.find((e) => e.kind === 'warning')?.text).toBe(
    'No service "billing-batch" in the policy: routed to team platform (default service api)',
  );
  const page = await waitFor(() => pagesFor(state.incidentId)[0], 'the platform page');
  expect(page.to).toEqual([emailOf(onCallOf('platform-follow-the-sun'))]);
});

test("a P2 outside its team's business hours tells the on-call without a page; raised to P1, it pages at once", async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const { handle, state } = await open(alert({ alertname: 'CheckoutLatency', service: 'payments-api', priority: 'P2' }));
  expect(state).toMatchObject({ team: 'payments', severity: 'P2', slaStartsAt: businessHoursStart });
  const id = state.incidentId;
  const onCall = onCallOf('payments');
  const told = await waitFor(
    () => h.smtp.mails.find((m) => m.subject.includes(`${id} Outside business hours`)),
    'the on-call told without a page',
  );
  expect(told.to).toEqual([emailOf(onCall)]);
  expect(told.text).toContain(`paging and the SLA clock start at ${businessHoursStart}`);
  const s = (await handle.query(stateQuery))!;
  expect(s.deadlines.nextEscalation).toBe(businessHoursStart);
  expect(s.timeline.map((e) => e.text)).toContainEqual(
    `P2 outside the business hours of team Payments (${weekday.slice(0, 3)} 09:00–17:00 (UTC)): the on-call is told without a page; paging and the SLA clock start at ${businessHoursStart}`,
  );
  // Its P2 ack SLA (6 s here) passes: nobody is paged, nothing is breached.
  await sleep(7000);
  expect(pagesFor(id)).toEqual([]);
  expect((await handle.query(stateQuery))!.breaches).toEqual([]);

  expect(await runCli(cliEnv, 'severity', id, 'P1', '--reason', 'checkout is failing', '--as', 'jon')).toMatchObject({ code: 0 });
  const page = await waitFor(() => pagesFor(id)[0], 'the page once raised to P1');
  expect(page.to).toEqual([emailOf(onCall)]);
  expect((await handle.query(stateQuery))!.timeline.map((e) => e.text)).toContainEqual(
    'P1 pages around the clock: paging and the SLA clock start now',
  );
});

test('incidentctl declare --team names the owning team; a team the policy does not know is said on the timeline', async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const declared = await runCli(
    cliEnv,
    'declare',
    '--title',
    'Slow checkout queries',
    '--severity',
    'P1',
    '--service',
    'api',
    '--team',
    'db',
    '--as',
    'gita',
    '--json',
  );
  expect(declared.code).toBe(0);
  const { incidentId, workflowId } = JSON.parse(declared.stdout) as { incidentId: string; workflowId: string };
  const page = await waitFor(() => pagesFor(incidentId)[0], "the database on-call's page");
  expect(page.to).toEqual([emailOf(onCallOf('db-primary'))]);
  const s = (await h.env.client.workflow.getHandle(workflowId).query(stateQuery))!;
  expect(s.team).toBe('db');
  expect(s.timeline.map((e) => e.text)).toContainEqual('Owned by team Databases (db): team');

  const typo = await runCli(
    cliEnv,
    'declare',
    '--title',
    'Cache misses',
    '--severity',
    'P3',
    '--service',
    'redis',
    '--team',
    'dba',
    '--as',
    'gita',
    '--json',
  );
  expect(typo.code).toBe(0);
  const t = (await h.env.client.workflow.getHandle((JSON.parse(typo.stdout) as { workflowId: string }).workflowId).query(stateQuery))!;
  expect(t.team).toBe('db');
  expect(t.timeline.find((e) => e.kind === 'warning')?.text).toBe(
    'No team "dba" in the policy: routed to team db, the owner of service redis',
  );
  expect(await runCli(cliEnv, 'declare', '--title', 'x', '--severity', 'P3', '--service', 'redis', '--team', 'DB!')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--team: a team id such as db'),
  });
});

test("incidentctl oncall shows each team's on-call; schedule show prints a schedule's shifts on its own clock", async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const at = '2026-03-28T12:00:00Z';
  const db = await runCli(cliEnv, 'oncall', '--team', 'db', '--at', at, '--json');
  expect(db.code).toBe(0);
  const [team] = JSON.parse(db.stdout) as { team: string; now: { contactId: string; to: string }; next: { contactId: string } }[];
  // Saturday 28 March is hugo's day (10:00 Berlin to 10:00 Berlin, the clocks change in between).
  expect(team).toMatchObject({ team: 'db', now: { contactId: 'hugo', to: '2026-03-29T08:00:00.000Z' }, next: { contactId: 'ines' } });
  const all = await runCli(cliEnv, 'oncall', '--at', at);
  expect(all.stdout).toContain('Databases (db, schedule db-primary)');
  expect(all.stdout).toMatch(/Payments \(payments, schedule payments\)\n {2}now: {2}(jon|kay) from/);
  expect(await runCli(cliEnv, 'oncall', '--team', 'dba')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('no team "dba"; teams: platform, db, payments'),
  });

  const shown = await runCli(cliEnv, 'schedule', 'show', 'db-primary', '--from', '2026-03-28T00:00:00Z', '--to', '2026-03-30T00:00:00Z');
  expect(shown.code).toBe(0);
  expect(shown.stdout.split('\n')).toEqual([
    'Databases: primary (db-primary), times in Europe/Berlin:',
    'Sat 2026-03-28 01:00 → Sat 2026-03-28 10:00  gita         Daily',
    'Sat 2026-03-28 10:00 → Sun 2026-03-29 10:00  hugo         Daily',
    'Sun 2026-03-29 10:00 → Mon 2026-03-30 02:00  ines         Daily',
    '',
  ]);
  expect(await runCli(cliEnv, 'schedule', 'show', 'nights')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('no schedule "nights"'),
  });
  expect(await runCli(cliEnv, 'schedule', 'show', 'db-primary', '--to', '2020-01-01T00:00:00Z')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--to: must be after --from'),
  });
});

test('incidentctl page brings in another team’s on-call, or a person; the timeline says who and why', async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const { handle, state } = await open(alert({ alertname: 'PostgresSlowQueries', severity: 'critical' }));
  const id = state.incidentId;
  const brought = await runCli(cliEnv, 'page', id, '--team', 'payments', '--reason', 'card declines rising', '--as', 'gita');
  expect(brought).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id}: paging the on-call of team Payments (payments)`) });
  const payments = onCallOf('payments');
  const page = await waitFor(() => pagesFor(id).find((m) => m.to.includes(emailOf(payments))), "the payments on-call's page");
  expect(page.text).toContain('Brought in by gita: card declines rising');
  expect(await runCli(cliEnv, 'page', id, '--person', 'jon', '--as', 'gita')).toMatchObject({ code: 0 });
  await waitFor(() => pagesFor(id).find((m) => m.to.includes(emailOf('jon'))), "jon's page");
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.filter((e) => e.text.startsWith('Brought in')).map((e) => `${e.actor}: ${e.text}`)).toEqual([
    'gita: Brought in the on-call of team Payments (payments): card declines rising',
    'gita: Brought in Jon Park',
  ]);
  expect(s.responders?.map((r) => r.target)).toEqual(['schedule:payments', 'jon']);
  expect(await runCli(cliEnv, 'page', id, '--team', 'infra')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('no team "infra"; teams: platform, db, payments'),
  });
  expect(await runCli(cliEnv, 'page', id)).toMatchObject({ code: 2, stderr: expect.stringContaining('--team: give --team or --person') });
});

test("an override on a team's schedule pages its person, and oncall shows it", async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const who = onCallOf('db-primary') === 'ines' ? 'gita' : 'ines';
  const from = new Date(Date.now() - 60_000).toISOString();
  const to = new Date(Date.now() + 120_000).toISOString();
  const added = await runCli(cliEnv, 'override', '--schedule', 'db-primary', '--user', who, '--from', from, '--to', to, '--as', 'hugo');
  expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining(`: ${who} is on call on db-primary from`) });
  const id = /^(O-\d+):/.exec(added.stdout)![1]!;
  try {
    const [db] = JSON.parse((await runCli(cliEnv, 'oncall', '--team', 'db', '--json')).stdout) as {
      now: { contactId: string; source: string };
    }[];
    expect(db!.now).toMatchObject({ contactId: who, source: 'override' });
    const { state } = await open(alert({ alertname: 'ReplicationLag', team: 'db', severity: 'critical' }));
    const page = await waitFor(() => pagesFor(state.incidentId)[0], 'the page');
    expect(page.to).toEqual([emailOf(who)]);
    expect((await runCli(cliEnv, 'override', 'list')).stdout).toMatch(new RegExp(`${id}\\s+${who}\\s.*; schedule db-primary\\)`));
    expect(await runCli(cliEnv, 'override', '--schedule', 'nights', '--user', who, '--from', from, '--to', to)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no schedule "nights"'),
    });
  } finally {
    await runCli(cliEnv, 'override', 'delete', id);
  }
});

test('incidentctl report --by team counts the incidents each team owned', async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const shown = await runCli(cliEnv, 'report', '--by', 'team', '--json');
  expect(shown.code).toBe(0);
  const { groups } = JSON.parse(shown.stdout) as { groups: { group: string; incidents: number }[] };
  // This file opened four incidents of the databases team and one of platform (others share the store).
  expect(groups.find((g) => g.group === 'db')!.incidents).toBeGreaterThanOrEqual(4);
  expect(groups.find((g) => g.group === 'platform')!.incidents).toBeGreaterThanOrEqual(1);
  expect((await runCli(cliEnv, 'report', '--by', 'team')).stdout).toMatch(/^TEAM\s+COUNT/m);
  expect(await runCli(cliEnv, 'report', '--by', 'region')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--by: expected one of severity, team, service'),
  });
});

test('a maintenance window for a service the policy does not know is refused, naming the services', async () => {
  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  expect(
    await runCli(cliEnv, 'maintenance', 'start', '--service', 'postgress', '--for', '1h', '--reason', 'typo', '--as', 'gita'),
  ).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('no service "postgress"; services: api, web, postgres, redis, payments-api'),
  });
});
