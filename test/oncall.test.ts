import { onCallAt } from '../policy/oncall';
import { stateQuery } from '../contract';
import { runCli } from './helpers/cli';
import { declareIncident, testPolicy, waitFor, useIncidentHarness } from './helpers/harness';

const policy = testPolicy();
const overrideIds: string[] = [];
const h = useIncidentHarness({
  name: 'oncall',
  policy,
  // Overrides change who is paged for every incident: this suite keeps them in a store of its own.
  isolatedStore: true,
});
const { taskQueue } = h;
const cliEnv = () => ({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: taskQueue });

test('the rotation and its overrides pick the right person, at the moment of paging', async () => {
  const expected = onCallAt(policy, Date.now());
  const shown = await runCli(cliEnv(), 'oncall', '--json');
  expect(shown.code).toBe(0);
  const who = JSON.parse(shown.stdout) as { now: { contactId: string; source: string }; next: { contactId: string } };
  expect(who.now).toMatchObject({ contactId: expected.now.contactId, source: 'rotation' });
  expect(who.next.contactId).toBe(expected.next.contactId);

  const bad = await runCli(
    cliEnv(),
    'override',
    '--user',
    'ghost',
    '--from',
    new Date().toISOString(),
    '--to',
    new Date(Date.now() + 60_000).toISOString(),
  );
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('unknown contact "ghost"');
  const backwards = await runCli(
    cliEnv(),
    'override',
    '--user',
    'dba',
    '--from',
    new Date().toISOString(),
    '--to',
    new Date(Date.now() - 60_000).toISOString(),
  );
  expect(backwards).toMatchObject({ code: 2, stderr: expect.stringContaining('--to: must be after --from') });

  const added = await runCli(
    cliEnv(),
    'override',
    '--user',
    'dba',
    '--from',
    new Date(Date.now() - 60_000).toISOString(),
    '--to',
    new Date(Date.now() + 120_000).toISOString(),
    '--json',
  );
  expect(added.code).toBe(0);
  overrideIds.push((JSON.parse(added.stdout) as { id: string }).id);
  const now = JSON.parse((await runCli(cliEnv(), 'oncall', '--json')).stdout) as { now: { contactId: string; source: string } };
  expect(now.now).toMatchObject({ contactId: 'dba', source: 'override' });

  const { state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P2' });
  const page = await waitFor(
    () => h.smtp.mails.find((m) => m.subject.includes(`${state.incidentId}:`) && m.subject.includes('(page:')),
    'on-call page',
  );
  expect(page.to).toEqual(['dba@example.com']);
});

test('overrides are listed (and shown by oncall) and can be deleted: the rotation applies again', async () => {
  const later = await runCli(
    cliEnv(),
    'override',
    '--user',
    'eng-lead',
    '--from',
    new Date(Date.now() + 3_600_000).toISOString(),
    '--to',
    new Date(Date.now() + 7_200_000).toISOString(),
    '--json',
  );
  const { id } = JSON.parse(later.stdout) as { id: string };
  const listed = await runCli(cliEnv(), 'override', 'list');
  expect(listed).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`${id}\\s+eng-lead`)) });
  expect((await runCli(cliEnv(), 'oncall')).stdout).toMatch(new RegExp(`overrides:\\n(.*\\n)*\\s+${id}\\s+eng-lead from`));

  expect(await runCli(cliEnv(), 'override', 'delete', id)).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id} deleted`) });
  expect((await runCli(cliEnv(), 'override', 'list', '--json')).stdout).not.toContain(id);
  expect(await runCli(cliEnv(), 'override', 'delete', id)).toMatchObject({ code: 3, stderr: expect.stringContaining(`no override ${id}`) });
  expect(await runCli(cliEnv(), 'override', 'delete', 'bogus')).toMatchObject({ code: 2 });
});

test('a gap in the rotation pages the next level and records why', async () => {
  await h.env.pool.query('DELETE FROM oncall_overrides WHERE id = ANY($1::bigint[])', [overrideIds.map((id) => id.slice(2))]);
  const gapPolicy = testPolicy({ oncall: { ...policy.oncall, rotation: ['-'] } });
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy: gapPolicy, severity: 'P2' });
  const page = await waitFor(
    () => h.smtp.mails.find((m) => m.subject.includes(`${state.incidentId}:`) && m.subject.includes('(page:')),
    'next level paged',
  );
  expect(page.to).toEqual(['eng-lead@example.com']);
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.find((e) => e.kind === 'warning')?.text).toMatch(
    /^Nobody is on call \(rotation gap until .*\): paging Engineering lead instead$/,
  );
  expect(s.escalationLevel).toBe(1);
});
