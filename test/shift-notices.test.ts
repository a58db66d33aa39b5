/**
 * Shift notices: whoever comes on call hears of it `before` ahead of their shift, by email, from a
 * workflow per schedule (a durable timer, no cron); the person in the shift now is not told again.
 */
import { SHIFT_NOTICE_WORKFLOW_TYPE, shiftNoticeWorkflowId } from '../contract';
import { ensureShiftNotices } from '../workers/shift-notices';
import { testPolicy, useIncidentHarness, waitFor } from './helpers/harness';

const MINUTE = 60_000;
// A handoff on the next minute at least 30 s away (a slow start of the suite stays before it); the notice falls due 5 s from now.
const now = Date.now();
const handoff = Math.ceil((now + 30_000) / MINUTE) * MINUTE;
const before = `${Math.round((handoff - now - 5_000) / 1000)}s`;
const base = testPolicy();
const policy = testPolicy({
  schedules: [
    {
      id: 'handoff-soon',
      name: 'Handoff soon',
      timeZone: 'UTC',
      shiftNotice: { before },
      layers: [{ name: 'Hourly', members: ['eng-lead', 'dba'], start: new Date(handoff).toISOString().slice(0, 16), length: '1h' }],
    },
  ],
  escalationPolicies: [{ id: 'ops', levels: [{ name: 'On call', targets: ['schedule:handoff-soon'], after: '0s' }] }],
  teams: [{ id: 'ops', name: 'Ops', schedule: 'handoff-soon', escalationPolicy: 'ops' }],
  contacts: base.contacts,
});
const h = useIncidentHarness({ name: 'shift-notices', policy });

test('the person coming on call is told before the shift, once; the workflow runs on a durable timer', async () => {
  const started = await ensureShiftNotices(h.env.client, h.taskQueue, policy);
  expect(started).toEqual([shiftNoticeWorkflowId('handoff-soon')]);
  // Started again (a second worker, a restart): the same workflow, not another.
  expect(await ensureShiftNotices(h.env.client, h.taskQueue, policy)).toEqual(started);
  const handle = h.env.client.workflow.getHandle(started[0]!);
  expect((await handle.describe()).type).toBe(SHIFT_NOTICE_WORKFLOW_TYPE);

  const notice = await waitFor(() => h.smtp.mails.find((m) => m.subject.includes('Handoff soon')), 'the shift notice', 30_000);
  const arrived = Date.now();
  expect(notice.to).toEqual(['eng-lead@example.com']);
  expect(notice.subject).toBe(`On call from ${new Date(handoff).toISOString()}: Handoff soon`);
  // Due `before` ahead of the handoff (5 s after the test started), not at once and not after it.
  expect(arrived).toBeGreaterThanOrEqual(now + 4_000);
  expect(arrived).toBeLessThan(handoff);
  // dba, on call now, hears nothing.
  expect(h.smtp.mails.filter((m) => m.subject.includes('Handoff soon') && m.to.includes('dba@example.com'))).toEqual([]);
  await handle.terminate('test done');
});
