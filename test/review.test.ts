import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ExitCode } from '../client/failures';
import { workflowIdForGroup } from '../server/webhook/mapping';
import { ensureDigestSchedule } from '../workers/digest-schedule';
import {
  ErrorType,
  acknowledgeUpdate,
  addNoteUpdate,
  assignCommanderUpdate,
  refreshDraftUpdate,
  resolveUpdate,
  reviewStateQuery,
  reviewWorkflowId,
  stateQuery,
  submitPostMortemUpdate,
  type IncidentState,
  type ReviewState,
} from '../contract';
import { groupPayload } from './helpers/alerts';
import { runCli } from './helpers/cli';
import { declareIncident, sleep, testPolicy, waitFor, useIncidentHarness } from './helpers/harness';
import { startWebhook } from './helpers/webhook';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const base = testPolicy();
// First reminder 1.5s after resolution, due at 3s, then every 1.5s with the engineering lead copied.
const policy = testPolicy({ review: { ...base.review, firstReminder: '1500ms', due: '3s', overdueEvery: '1500ms' } });
const h = useIncidentHarness({ name: 'review', policy });
const { taskQueue } = h;
const cliEnv = () => ({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: taskQueue });

async function resolvedIncident(title: string) {
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P2', title });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
  await handle.executeUpdate(assignCommanderUpdate, { args: [{ by: 'engineer-a', commander: 'ic' }] });
  await handle.executeUpdate(addNoteUpdate, { args: [{ by: 'engineer-a', text: `pool at 498/500 during ${title}` }] });
  await handle.executeUpdate(resolveUpdate, {
    args: [{ by: 'ic', rootCause: 'connection leak in v2.3', resolution: 'restarted app, raised pool size' }],
  });
  const final = (await handle.result()) as IncidentState;
  return { state, final, review: h.env.client.workflow.getHandle(reviewWorkflowId(state.incidentId)) };
}

test('the draft holds the real timeline; reminders come in order, copy the lead when overdue, and stop on submission', async () => {
  const { state, final, review } = await resolvedIncident('Checkout pool exhausted');
  const id = state.incidentId;
  expect(final.timeline.some((e) => e.text.startsWith(`Post-incident review ${reviewWorkflowId(id)} opened`))).toBe(true);

  // The review runs on its own, linked to the incident by search attribute and memo.
  const description = await review.describe();
  expect(description.status.name).toBe('RUNNING');
  expect(description.memo).toMatchObject({ incidentId: id });

  const draft = (await review.executeUpdate(refreshDraftUpdate)).draft;
  expect(draft).toContain(`# Post-Incident Review: Checkout pool exhausted`);
  expect(draft).toContain('**Incident Commander**: ic');
  expect(draft).toContain('connection leak in v2.3');
  expect(draft).toMatch(/\| \d\d:\d\d:\d\d \| pool at 498\/500 during Checkout pool exhausted \(engineer-a\) \|/);
  // Key events on the timeline, every event in the appendix.
  const [body, appendix] = draft.split('## Appendix: full timeline');
  for (const event of final.timeline.filter((e) => !e.text.startsWith('Post-incident review')))
    expect(appendix).toContain(event.text.replace(/\|/g, '\\|'));
  const timeline = body!.slice(body!.indexOf('## Timeline'), body!.indexOf('## Root Cause'));
  expect(timeline).toContain('Acknowledged by');
  expect(timeline).not.toMatch(/\| (Paged|Notified) /);
  const stored = await h.env.pool.query('SELECT status, draft FROM postmortems WHERE incident_number = $1', [state.number]);
  expect(stored.rows[0].status).toBe('pending');

  // Reminders: #1 to the commander, #2 at the due time, #3 overdue with the engineering lead copied.
  const third = await waitFor(() => h.smtp.mails.find((m) => m.subject.includes(`${id} post-mortem OVERDUE`)), 'overdue reminder', 20_000);
  const reminders = h.smtp.mails.filter((m) => m.subject.includes(`${id} post-mortem`));
  const order = reminders.map((m) => (m.subject.includes('OVERDUE') ? 'overdue' : m.subject.includes('due now') ? 'due' : 'reminder'));
  expect(order.slice(0, 2)).toEqual(['reminder', 'due']);
  expect(reminders.filter((m) => !m.subject.includes('OVERDUE')).flatMap((m) => m.to)).toEqual(['ic@example.com', 'ic@example.com']);
  // One mail per recipient, sent side by side: wait for both rather than read the first one's moment.
  // Reminder #3's own mails (by ledger key): later overdue reminders share its subject.
  const overdueTo = await waitFor(() => {
    const to = h.smtp.mails
      .filter((m) => m.headers.get('x-incident-dedup-key') === `review-reminder:3:${m.to[0]!.split('@')[0]}`)
      .flatMap((m) => m.to)
      .sort();
    return to.length >= 2 ? to : undefined;
  }, 'the overdue reminder to both');
  expect(overdueTo).toEqual(['eng-lead@example.com', 'ic@example.com']);
  expect(third.text).toContain(`incidentctl postmortem ${id} --submit`);

  // A submission with template placeholders left is refused, naming the sections.
  const incomplete = await review.executeUpdate(submitPostMortemUpdate, { args: [{ by: 'ic', markdown: draft }] }).catch((e: unknown) => e);
  expect(incomplete).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (incomplete as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe(ErrorType.InvalidInput);
  expect(cause.message).toContain('Impact, What Went Well, What Could Be Improved, Action Items');

  // The store adds an action item on the first try (its insert and read are one statement), and a retry
  // with the same request id returns the same item.
  const direct = { incidentId: id, text: 'Review pool limits', owner: 'dba', due: '2026-12-20', by: 'ic', requestId: `req-${id}` };
  const first = await h.env.reviews.addActionItem(direct);
  expect(first).toMatchObject({ incidentId: id, text: 'Review pool limits', owner: 'dba', due: '2026-12-20', status: 'open' });
  expect(await h.env.reviews.addActionItem(direct)).toEqual(first);

  // Through the CLI, as a person would: an action item, the draft to a file, fill it in, submit.
  const added = await runCli(
    cliEnv(),
    'action',
    'add',
    id,
    'Add pool saturation alert',
    '--owner',
    'dba',
    '--due',
    '2026-12-15',
    '--json',
    '--as',
    'ic',
  );
  expect(added.code).toBe(0);
  const item = JSON.parse(added.stdout) as { id: string };
  expect(item.id).toMatch(/^A-\d+$/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-'));
  const file = path.join(dir, `${id}.md`);
  expect((await runCli(cliEnv(), 'postmortem', id, '--out', file)).code).toBe(0);
  const written = readFileSync(file, 'utf8');
  expect(written).toContain(`| Add pool saturation alert (${item.id}) | dba | 2026-12-15 | [ ] |`);
  const filled = written
    .replace('[number]', 'about 1200 checkout sessions')
    .replace('[$amount]', 'unknown')
    .replace('[Yes/No]', 'No')
    .replace(/## What Went Well\n- \[Item 1\]\n- \[Item 2\]/, '## What Went Well\n- Paged within a minute')
    .replace(/## What Could Be Improved\n- \[Item 1\]\n- \[Item 2\]/, '## What Could Be Improved\n- No saturation alert')
    .replace('- [Long-term fix 1]\n- [Long-term fix 2]', '- Pool metrics on the dashboard');
  writeFileSync(file, filled);
  const submitted = await runCli(cliEnv(), 'postmortem', id, '--submit', file, '--as', 'ic');
  expect(submitted).toMatchObject({ code: 0 });
  const closed = (await review.result()) as ReviewState;
  expect(closed).toMatchObject({ status: 'submitted', submittedBy: 'ic' });
  const row = await h.env.pool.query('SELECT status, submitted_by, markdown FROM postmortems WHERE incident_number = $1', [state.number]);
  expect(row.rows[0]).toMatchObject({ status: 'submitted', submitted_by: 'ic', markdown: filled });
  await waitFor(
    () => h.smtp.mails.find((m) => m.subject === `[P2] ${id} post-mortem: Checkout pool exhausted` && m.to.includes('cto@example.com')),
    'distribution',
  );

  // No reminder after submission.
  const reminderCount = () =>
    h.smtp.mails.filter((m) => /post-mortem (reminder|due now|OVERDUE)/.test(m.subject) && m.subject.includes(`${id} `)).length;
  const atSubmission = reminderCount();
  await sleep(3500);
  expect(reminderCount()).toBe(atSubmission);
  const again = await runCli(cliEnv(), 'postmortem', id, '--submit', file);
  expect(again.code).toBe(ExitCode.Rejected);
  const listed = await runCli(cliEnv(), 'action', 'list', id, '--open');
  expect(listed.stdout).toMatch(new RegExp(`${item.id}\\s+${id}\\s+open`));
  expect((await runCli(cliEnv(), 'action', 'done', item.id, '--as', 'dba')).code).toBe(0);
  expect((await runCli(cliEnv(), 'action', 'list', id, '--open')).stdout).not.toContain(item.id);
  expect((await runCli(cliEnv(), 'action', 'list', id, '--json')).stdout).toContain('"status": "done"');
  expect((await runCli(cliEnv(), 'action', 'done', 'A-99999999')).code).toBe(ExitCode.NotFound);
});

test('a new alert for the same group during the review opens a new incident', async () => {
  const webhook = await startWebhook(h.env.client, taskQueue, policy);
  try {
    const groupKey = `{}:{alertname="ReviewGroup",run="${taskQueue}"}`;
    expect((await webhook.post(groupPayload(groupKey, { r1: 'firing' }))).body.outcome).toBe('started');
    const handle = h.env.client.workflow.getHandle(workflowIdForGroup(groupKey));
    const first = await waitFor(async () => {
      const s = await handle.query(stateQuery);
      return s?.incidentId ? s : undefined;
    }, 'first incident');
    await handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'x', resolution: 'y' }] });
    await handle.result();
    const review = h.env.client.workflow.getHandle(reviewWorkflowId(first.incidentId));
    expect((await review.describe()).status.name).toBe('RUNNING');

    const again = await webhook.post(groupPayload(groupKey, { r1: 'firing' }));
    expect(again.body.outcome).toBe('started');
    const second = await waitFor(async () => {
      const s = await h.env.client.workflow.getHandle(workflowIdForGroup(groupKey)).query(stateQuery);
      return s?.incidentId && s.incidentId !== first.incidentId ? s : undefined;
    }, 'second incident');
    expect(second.number).toBeGreaterThan(first.number);
    expect((await review.query(reviewStateQuery)).status).toBe('pending');
  } finally {
    await webhook.close();
  }
});

test('the digest runs from the Schedule and emails the engineering lead', async () => {
  const client = new Client({ connection: h.env.client.connection, dataConverter: ephemeralDataConverter() });
  const scheduleId = `digest-${taskQueue}`;
  expect(await ensureDigestSchedule(client, taskQueue, policy.review.digestCron, scheduleId)).toBe('created');
  expect(await ensureDigestSchedule(client, taskQueue, policy.review.digestCron, scheduleId)).toBe('updated');
  const schedule = client.schedule.getHandle(scheduleId);
  try {
    // An overdue post-mortem exists: the one from the group test above is pending past its 3s due time.
    await sleep(3200);
    await schedule.trigger();
    const mail = await waitFor(() => h.smtp.mails.find((m) => m.subject.startsWith('Post-incident digest')), 'digest email', 20_000);
    expect(mail.to).toEqual(['eng-lead@example.com']);
    expect(mail.text).toMatch(/Overdue post-mortems \([1-9]\d*\):/);
    expect((await schedule.describe()).info.recentActions.length).toBeGreaterThanOrEqual(1);
  } finally {
    await schedule.delete();
  }
});
