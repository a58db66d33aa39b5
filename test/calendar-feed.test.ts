/**
 * Secret iCal feeds of on-call shifts: a person's URL from the API, fetched as a calendar app would,
 * parsed back by a real iCal parser (ical.js) and checked against the schedule resolver; a forged feed
 * name is refused.
 */
import ICAL from 'ical.js';
import { scheduleShifts } from '../policy/schedules';
import { startTestApi, type TestApi } from './helpers/api';
import { runCli } from './helpers/cli';
import { useIncidentHarness } from './helpers/harness';
import { teamPolicy } from './helpers/teams';

const policy = teamPolicy();
// Its overrides would change who every db-primary incident pages: a store of its own.
const h = useIncidentHarness({ name: 'calendar', policy, isolatedStore: true });
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(h.env, h.taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
});

const events = (text: string) =>
  new ICAL.Component(ICAL.parse(text) as unknown[]).getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v);
    return { summary: e.summary, start: e.startDate.toJSDate().getTime(), end: e.endDate.toJSDate().getTime() };
  });

test("a schedule's feed holds its shifts, as the resolver sees them, for a week back and eight ahead", async () => {
  const shown = await runCli(await api.as('gita'), 'calendar', '--schedule', 'db-primary', '--json');
  expect(shown.code).toBe(0);
  const { url } = JSON.parse(shown.stdout) as { url: string };
  expect(url).toMatch(new RegExp(`^${api.web.url}/calendar/schedule\\.db-primary\\.[A-Za-z0-9_-]{32}\\.ics$`));
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/calendar');
  const got = events(await response.text());
  const now = Date.now();
  const schedule = policy.schedules.find((s) => s.id === 'db-primary')!;
  const names = new Map(policy.contacts.map((c) => [c.id, c.name]));
  // The middle of the window (its edges move with the clock between the two reads).
  const expected = scheduleShifts(schedule, now - 6 * 86_400_000, now + 50 * 86_400_000).slice(1, -1);
  for (const shift of expected)
    expect(got).toContainEqual({ summary: `On call: ${names.get(shift.contactId!)}`, start: shift.from, end: shift.to });
  expect(got.length).toBeGreaterThanOrEqual(60);
});

test("a person's feed holds only their shifts, on every schedule; a forged or unknown feed is a 404", async () => {
  const { url } = JSON.parse((await runCli(await api.as('ines'), 'calendar', '--json')).stdout) as { url: string };
  expect(url).toContain('/calendar/person.ines.');
  const got = events(await (await fetch(url)).text());
  expect(got.length).toBeGreaterThan(0);
  expect(new Set(got.map((e) => e.summary))).toEqual(new Set(['On call: Databases: primary', 'On call: Databases: secondary']));
  // Another person's feed under this MAC, a changed MAC, and an unknown schedule: all the same 404.
  const changedMac = url.replace(/(.)\.ics$/, (_, c: string) => `${c === 'A' ? 'B' : 'A'}.ics`);
  for (const forged of [url.replace('person.ines.', 'person.gita.'), changedMac]) expect((await fetch(forged)).status).toBe(404);
  expect(await runCli(await api.as('ines'), 'calendar', '--schedule', 'nights')).toMatchObject({
    code: 3,
    stderr: expect.stringContaining('no schedule "nights"'),
  });
  expect(await runCli({ TEMPORAL_ADDRESS: h.env.address }, 'calendar')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('INCIDENT_TOKEN'),
  });
});

test('an override shows in the feeds and in schedule show, over the rotation', async () => {
  const env = await api.as('hugo');
  const hour = 3_600_000;
  const from = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
  const to = new Date(from.getTime() + 2 * hour);
  const added = await runCli(
    env,
    'override',
    '--schedule',
    'db-primary',
    '--user',
    'ines',
    '--from',
    from.toISOString(),
    '--to',
    to.toISOString(),
  );
  expect(added.code).toBe(0);
  const { url } = JSON.parse((await runCli(env, 'calendar', '--schedule', 'db-primary', '--json')).stdout) as { url: string };
  const got = events(await (await fetch(url)).text());
  expect(got).toContainEqual({ summary: 'On call: Inês Costa', start: from.getTime(), end: to.getTime() });
  // ines's own feed has it too.
  const mine = JSON.parse((await runCli(await api.as('ines'), 'calendar', '--json')).stdout) as { url: string };
  expect(events(await (await fetch(mine.url)).text())).toContainEqual({
    summary: 'On call: Databases: primary',
    start: from.getTime(),
    end: to.getTime(),
  });

  const shown = await runCli(
    { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue },
    'schedule',
    'show',
    'db-primary',
    '--from',
    from.toISOString(),
    '--to',
    to.toISOString(),
    '--json',
  );
  expect((JSON.parse(shown.stdout) as { shifts: unknown[] }).shifts).toEqual([
    { contactId: 'ines', layer: 'override', from: from.toISOString(), to: to.toISOString() },
  ]);
});
