/**
 * The plan's Backup column: a page to a person that is not acknowledged within `backupAfter` pages
 * their backup, once; an acknowledgement in time pages nobody else.
 */
import { acknowledgeUpdate, stateQuery } from '../contract';
import { onCallAt } from '../policy/oncall';
import { declareIncident, sleep, testPolicy, useIncidentHarness, waitFor } from './helpers/harness';

const base = testPolicy();
// Everyone on the rotation has the database admin as their backup, after 4 s (the ack SLA of a P3 is 120 s).
const rotation = new Set(base.oncall.rotation);
const policy = testPolicy({
  backupAfter: '4s',
  contacts: base.contacts.map((c) => (rotation.has(c.id) ? { ...c, backup: 'dba' } : c)),
});
const h = useIncidentHarness({ name: 'backup', policy });
const pagesFor = (incidentId: string) => h.smtp.mails.filter((m) => m.subject.includes(`${incidentId}:`) && m.subject.includes('(page:'));
const emailOf = (id: string) => policy.contacts.find((c) => c.id === id)!.email;

test('an unanswered page pages the backup after backupAfter, once, and the timeline says why', async () => {
  const onCall = onCallAt(policy, Date.now()).now.contactId;
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P3' });
  const first = await waitFor(() => pagesFor(state.incidentId)[0], 'the on-call page');
  expect(first.to).toEqual([emailOf(onCall)]);
  const backup = await waitFor(() => pagesFor(state.incidentId).find((m) => m.to.includes(emailOf('dba'))), 'the backup page', 15_000);
  expect(backup.subject).toContain('Backup for');
  const onCallName = policy.contacts.find((c) => c.id === onCall)!.name;
  const s = (await handle.query(stateQuery))!;
  expect(s.timeline.filter((e) => e.kind === 'escalation').map((e) => e.text)).toContainEqual(
    `No acknowledgement from ${onCallName} within 4s: paging their backup Database Admin`,
  );
  // Once: the backup is not paged again while the incident stays unanswered.
  await sleep(3000);
  expect(pagesFor(state.incidentId).filter((m) => m.to.includes(emailOf('dba')))).toHaveLength(1);
});

test('an acknowledgement within backupAfter pages no backup', async () => {
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P3' });
  await waitFor(() => pagesFor(state.incidentId)[0], 'the on-call page');
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tester' }] });
  await sleep(5500);
  expect(pagesFor(state.incidentId).filter((m) => m.to.includes(emailOf('dba')))).toEqual([]);
  expect((await handle.query(stateQuery))!.timeline.some((e) => e.text.includes('backup'))).toBe(false);
});
