/**
 * Shift swaps: the person on call asks a colleague to take their shift; the colleague (and nobody
 * else) accepts; it becomes an override that `oncall` shows and pages honour; both are told by mail.
 */
import { scheduleAt } from '../policy/schedules';
import { startTestApi, type TestApi } from './helpers/api';
import { runCli } from './helpers/cli';
import { useIncidentHarness, waitFor } from './helpers/harness';
import { teamPolicy } from './helpers/teams';

const policy = teamPolicy();
// Swaps become overrides, which every incident of db-primary would see: a store of its own.
const h = useIncidentHarness({ name: 'swaps', policy, isolatedStore: true });
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(h.env, h.taskQueue, policy);
});
afterAll(async () => {
  await api?.close();
});

const contact = (id: string) => policy.contacts.find((c) => c.id === id)!;
const mailTo = (id: string, subject: string) => h.smtp.mails.find((m) => m.to.includes(contact(id).email) && m.subject.includes(subject));

test('the on-call asks a colleague to take the shift; only that colleague can accept; it becomes an override, and both are told', async () => {
  const now = new Date().toISOString();
  const owner = scheduleAt(
    policy.schedules.find((s) => s.id === 'db-primary')!,
    Date.now(),
  ).contactId!;
  const [taker, stranger] = ['gita', 'hugo', 'ines'].filter((id) => id !== owner) as [string, string];

  const asked = await runCli(
    await api.as(owner),
    'swap',
    'request',
    '--schedule',
    'db-primary',
    '--at',
    now,
    '--with',
    taker,
    '--reason',
    'dentist',
    '--json',
  );
  expect(asked.code).toBe(0);
  const swap = JSON.parse(asked.stdout) as { id: string; from: string; to: string; status: string; requester: string; createdBy: string };
  expect(swap).toMatchObject({ status: 'pending', requester: owner, createdBy: `${contact(owner).name} (token)` });
  expect(Date.parse(swap.from)).toBeLessThanOrEqual(Date.now());
  const request = await waitFor(() => mailTo(taker, `Shift swap ${swap.id}: can you take`), 'the request mailed to the colleague');
  expect(request.text).toContain(`incidentctl swap accept ${swap.id}`);
  expect(request.text).toContain('Why: dentist');

  // Somebody else cannot accept it for them.
  const refused = await runCli(await api.as(stranger), 'swap', 'accept', swap.id);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(`${swap.id} is ${taker}'s to answer, not ${stranger}'s`);

  const accepted = await runCli(await api.as(taker), 'swap', 'accept', swap.id);
  expect(accepted).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(new RegExp(`^${swap.id}: ${taker} is on call on db-primary from .* \\(O-\\d+\\); both were told`)),
  });
  await waitFor(() => mailTo(owner, `Shift swap ${swap.id} accepted`), 'the owner told');
  await waitFor(() => mailTo(taker, `Shift swap ${swap.id}: you are on call`), 'the colleague told');

  const cliEnv = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  const [db] = JSON.parse((await runCli(cliEnv, 'oncall', '--team', 'db', '--json')).stdout) as {
    now: { contactId: string; source: string };
  }[];
  expect(db!.now).toMatchObject({ contactId: taker, source: 'override' });
  expect((await runCli(cliEnv, 'swap', 'list')).stdout).toMatch(
    new RegExp(`${swap.id}\\s+accepted\\s+db-primary .* ${owner} → ${taker} \\(O-\\d+\\)`),
  );
  // Answered once: a second answer is refused, naming how it was answered.
  expect((await runCli(await api.as(taker), 'swap', 'decline', swap.id)).stderr).toContain(`${swap.id} was accepted already`);
  // The shift is the colleague's now: the former owner cannot give it away again.
  const notYours = await runCli(await api.as(owner), 'swap', 'request', '--schedule', 'db-primary', '--at', now, '--with', stranger);
  expect(notYours).toMatchObject({ code: 2, stderr: expect.stringContaining(`${owner} is not on call on db-primary at`) });
});

test('a request that names no shift, or a schedule that does not exist, is refused naming what is wrong', async () => {
  const env = await api.as('gita');
  expect(await runCli(env, 'swap', 'request', '--schedule', 'db-primary', '--with', 'hugo')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--at: give --at (a whole shift) or --from and --to (part of one)'),
  });
  expect(await runCli(env, 'swap', 'request', '--schedule', 'nights', '--with', 'hugo', '--at', new Date().toISOString())).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('no schedule "nights"'),
  });
  expect(await runCli(env, 'swap', 'accept', 'X-1')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('expected a swap id such as S-3'),
  });
  expect(await runCli(env, 'swap', 'accept', 'S-999999')).toMatchObject({ stderr: expect.stringContaining('no swap S-999999') });
});
