import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findIncident, runUpdate } from '../client/temporal';
import { ErrorType, acknowledgeUpdate, changeSeverityUpdate, escalateUpdate, resolveUpdate, stateQuery } from '../contract';
import { declareIncident, sleep, startTestWorker, testPolicy, uniqueQueue, waitFor, useIncidentHarness } from './helpers/harness';

const policy = testPolicy();
const h = useIncidentHarness({ name: 'escalation', policy });
const { taskQueue } = h;

const pagesFor = (id: string) =>
  h.smtp.mails.filter((m) => m.subject.startsWith(`[`) && m.subject.includes(`${id}:`) && m.subject.includes('(page:'));
const pageTo = (id: string, address: string) => pagesFor(id).filter((m) => m.to.includes(address));

test('without an acknowledgement, escalation pages each level in turn and email arrives', async () => {
  // Test policy: P1 ack SLA 3s; on-call at 0s, engineering lead at 3s, CTO at 6s; CEO is P0 only.
  const { state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P1' });
  const id = state.incidentId;
  // Times count from the declaration (the workflow's start), as the policy's SLAs do.
  const start = Date.parse(state.declaredAt);
  const onCall = await waitFor(() => pagesFor(id).find((m) => m.subject.includes('On-call engineer')), 'on-call page');
  const lead = await waitFor(() => pageTo(id, 'eng-lead@example.com')[0], 'engineering lead page');
  const cto = await waitFor(() => pageTo(id, 'cto@example.com')[0], 'CTO page');
  expect(onCall.receivedAt - start).toBeLessThan(2500);
  expect(lead.receivedAt - start).toBeGreaterThanOrEqual(2950);
  expect(cto.receivedAt).toBeGreaterThan(lead.receivedAt + 2000);
  expect(pageTo(id, 'ceo@example.com')).toHaveLength(0);

  const final = await waitFor(async () => {
    const s = await h.env.client.workflow
      .getHandle(`${(await h.env.pool.query('SELECT workflow_id FROM incidents WHERE incident_id=$1', [id])).rows[0].workflow_id}`)
      .query(stateQuery);
    return s && s.escalationLevel === 2 ? s : undefined;
  }, 'escalation level 2');
  expect(final.timeline.filter((e) => e.kind === 'escalation').map((e) => e.text)).toEqual(
    expect.arrayContaining(['Not acknowledged: escalating to Engineering lead', 'Not acknowledged: escalating to CTO']),
  );
  expect(final.breaches).toEqual([expect.objectContaining({ kind: 'ack' })]);
  // The store hears of an open incident's changes in batches (STORE_SYNC_WINDOW_MS).
  const breachRows = await waitFor(async () => {
    const r = await h.env.pool.query('SELECT kind FROM sla_breaches WHERE incident_number=$1', [final.number]);
    return r.rows.length ? r.rows : undefined;
  }, 'the breach in the store');
  expect(breachRows).toEqual([{ kind: 'ack' }]);
});

test('an acknowledgement stops escalation, and no page arrives after it', async () => {
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P1' });
  const id = state.incidentId;
  await waitFor(() => pagesFor(id).length > 0, 'on-call page');
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
  const ackedAt = Date.now();
  // Well past the engineering lead (3s), CTO (6s) and repeat (10s) deadlines.
  await sleep(11_000);
  const after = h.smtp.mails.filter((m) => m.subject.includes(`${id}:`) && m.subject.includes('(page:') && m.receivedAt > ackedAt);
  expect(after).toEqual([]);
  expect(pagesFor(id)).toHaveLength(1);
  const current = await handle.query(stateQuery);
  expect(current?.deadlines.nextEscalation).toBeUndefined();
  expect(current?.breaches).toEqual([]);

  // A second acknowledgement is refused with a typed reason.
  const error = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-b' }] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(ErrorType.InvalidTransition);
  expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).message).toContain('already acknowledged by engineer-a');
});

test('a P0 pages every level of the path at once and notifies executives', async () => {
  const { state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P0', title: 'Complete application down' });
  const id = state.incidentId;
  const start = Date.now();
  const addresses = ['engineer-', 'eng-lead@example.com', 'cto@example.com', 'ceo@example.com'];
  const pages = await waitFor(() => {
    const got = pagesFor(id);
    return addresses.every((a) => got.some((m) => m.to.some((t) => t.startsWith(a)))) ? got : undefined;
  }, 'pages to every level');
  expect(Math.max(...pages.map((p) => p.receivedAt)) - start).toBeLessThan(3000);
  const exec = await waitFor(() => {
    const got = h.smtp.mails.filter((m) => m.subject.includes(`${id} Executive notification`));
    return got.length >= 2 ? got : undefined;
  }, 'executive notification');
  expect(exec.flatMap((m) => m.to).sort()).toEqual(['ceo@example.com', 'cto@example.com']);
});

test('a change of severity re-plans the SLA', async () => {
  // P3's SLA is 120s in the test policy: nothing would escalate during this test...
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P3' });
  const id = state.incidentId;
  await waitFor(() => pagesFor(id).length === 1, 'on-call page');
  const before = await handle.query(stateQuery);
  expect(Date.parse(before!.deadlines.nextEscalation!) - Date.parse(before!.declaredAt)).toBe(120_000);
  // ...until it becomes a P1, whose 3s SLA has already run out.
  const after = await handle.executeUpdate(changeSeverityUpdate, { args: [{ by: 'ic', severity: 'P1', reason: 'customers affected' }] });
  expect(Date.parse(after.deadlines.nextEscalation!) - Date.parse(after.declaredAt)).toBe(3_000);
  // Paged on the re-planned deadline (already past), not the P3 one: how fast is bench's business, not this test's.
  const lead = await waitFor(() => pageTo(id, 'eng-lead@example.com')[0], 'engineering lead page after re-plan', 30_000);
  expect(lead.receivedAt).toBeLessThan(Date.parse(before!.deadlines.nextEscalation!));
  expect(lead.subject).toContain('[P1]');
});

test('manual escalation pages the next level, and an update to a resolved incident is rejected with its type', async () => {
  // Automatic levels a minute apart: only the manual escalation moves the level here, however slow the machine.
  const slow = testPolicy();
  slow.escalation.levels = slow.escalation.levels.map((level, i) => ({ ...level, after: `${i * 60}s` }));
  // And the P2 ack SLA (when level 1 is first due) a minute too: the acknowledgement comes first, however loaded the machine.
  slow.severities.P2 = { ...slow.severities.P2, ackSla: '60s' };
  const { handle, state } = await declareIncident(h.env, taskQueue, { policy: slow, severity: 'P2' });
  const id = state.incidentId;
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
  const escalated = await handle.executeUpdate(escalateUpdate, { args: [{ by: 'engineer-a', reason: 'need database help' }] });
  expect(escalated.escalationLevel).toBe(1);
  await waitFor(() => pageTo(id, 'eng-lead@example.com')[0], 'manual escalation page');

  const bad = await handle.executeUpdate(changeSeverityUpdate, { args: [{ by: 'x', severity: 'P7' as 'P1' }] }).catch((e: unknown) => e);
  expect(((bad as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(ErrorType.InvalidInput);

  // Once resolved, the validators refuse every further change, naming the resolution.
  await handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'slow disk', resolution: 'moved volume' }] });
  // Through the CLI's Temporal access: refused by the validator while the run finishes, or as closed after.
  const ref = await findIncident(h.env.client, handle.workflowId);
  for (const update of [escalateUpdate, acknowledgeUpdate] as const) {
    await expect(runUpdate(ref, update, { by: 'late' })).rejects.toMatchObject({ kind: ErrorType.IncidentResolved });
  }
});

test('a worker back after a gap pages each overdue level once, on-call first, and nobody twice within the repeat interval', async () => {
  // Its own queue: this test stops and restarts the worker. No worker at first: the incident waits,
  // as it would while the worker is down, past two escalation levels and the repeat (3s, 6s, 6+4s).
  const queue = uniqueQueue('catch-up');
  const handle = await h.env.client.workflow.start('incidentWorkflow', {
    workflowId: `catch-up-${Date.now()}`,
    taskQueue: queue,
    args: [{ title: 'Gap', severity: 'P1', service: 'api', source: 'manual', declaredBy: 'tester', policy }],
  });
  await sleep(11_000);
  const back = await startTestWorker(h.env, { taskQueue: queue, policy, smtpUrl: h.smtp.url });
  try {
    const state = await waitFor(async () => {
      const s = await handle.query(stateQuery);
      return s && s.escalationLevel === 2 ? s : undefined;
    }, 'the catch-up');
    const id = state.incidentId;
    const timeline = state.timeline.map((e) => e.text);
    expect(timeline).toContainEqual(
      expect.stringMatching(
        /^Paging was held up from .+ \(worker or Temporal unavailable\): catching up, each overdue level once, On-call engineer first$/,
      ),
    );
    const pages = await waitFor(() => (pagesFor(id).length >= 3 ? pagesFor(id) : undefined), 'three pages');
    await sleep(2000);
    // One page per person, on-call first.
    const byAddress = new Map<string, number>();
    for (const m of pagesFor(id)) for (const to of m.to) byAddress.set(to, (byAddress.get(to) ?? 0) + 1);
    expect([...byAddress.values()].every((n) => n === 1)).toBe(true);
    expect(pages.sort((a, b) => a.receivedAt - b.receivedAt)[0]!.subject).toContain('On-call engineer');
    await handle.executeUpdate(resolveUpdate, { args: [{ by: 'tester', rootCause: 'x', resolution: 'y' }] });
  } finally {
    await back.stop();
  }
});
