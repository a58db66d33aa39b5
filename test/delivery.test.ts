import { acknowledgeUpdate, advancePhaseUpdate, resolveUpdate, stateQuery, type IncidentState } from '../contract';
import { declareIncident, sleep, startTestWorker, testPolicy, uniqueQueue, waitFor, useIncidentHarness } from './helpers/harness';

const h = useIncidentHarness({ name: 'outbox', worker: false });
const { taskQueue } = h;

test('without SMTP or Twilio, pages (email, SMS, calls) go to the outbox table and the timeline says so', async () => {
  const base = testPolicy();
  const policy = testPolicy({ severities: { ...base.severities, P2: { ...base.severities.P2, channels: ['call', 'sms', 'email'] } } });
  const worker = await startTestWorker(h.env, { taskQueue, policy });
  try {
    const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P2' });
    const rows = await waitFor(async () => {
      const r = await h.env.pool.query('SELECT address, subject, body, reason FROM outbox WHERE incident_number = $1', [state.number]);
      return r.rows.length >= 3 ? r.rows : undefined;
    }, 'outbox rows');
    expect(rows).toContainEqual(
      expect.objectContaining({ reason: 'no SMTP server configured', subject: expect.stringContaining(`${state.incidentId}: `) }),
    );
    const phone = await waitFor(async () => {
      const r = await h.env.pool.query(
        "SELECT channel, address, reason FROM outbox WHERE incident_number = $1 AND channel <> 'email' ORDER BY channel",
        [state.number],
      );
      return r.rows.length >= 2 ? r.rows : undefined;
    }, 'SMS and call in the outbox');
    expect(phone).toEqual([
      expect.objectContaining({ channel: 'call', reason: 'no Twilio credentials configured', address: expect.stringMatching(/^\+1555/) }),
      expect.objectContaining({ channel: 'sms', reason: 'no Twilio credentials configured', address: expect.stringMatching(/^\+1555/) }),
    ]);
    // One timeline line per page, naming its channels: not one warning per channel.
    const current = await handle.query(stateQuery);
    const pageLines = current!.timeline.filter(
      (e) => e.kind === 'warning' && e.text.includes('kept in the outbox') && e.text.includes('(page:'),
    );
    expect(pageLines).toHaveLength(1);
    expect(pageLines[0]!.text).toMatch(/^Paged Engineer [A-D] \(on-call\): voice call, SMS, email not delivered, kept in the outbox: /);
  } finally {
    await worker.stop();
  }
});

test('a temporary SMTP failure is retried and delivered once; a permanent one is recorded, never silent', async () => {
  const taskQueue = uniqueQueue('smtp-failures');
  const policy = testPolicy();
  const worker = await startTestWorker(h.env, { taskQueue, policy, smtpUrl: h.smtp.url });
  try {
    h.smtp.failNext(1, 451);
    const first = await declareIncident(h.env, taskQueue, { policy, severity: 'P3' });
    const page = await waitFor(() => h.smtp.mails.filter((m) => m.subject.includes(`${first.state.incidentId}: `)), 'retried page');
    expect(page).toHaveLength(1);
    // The page and the initial notification go out at once: one of them met the failure, and its second
    // attempt sent it. The server has the mail a moment before the ledger row says "sent".
    const rows = await waitFor(async () => {
      const r = await h.env.pool.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM pages WHERE incident_number=$1',
        [first.state.number],
      );
      return r.rows.length >= 2 && r.rows.every((row) => row.status === 'sent') ? r.rows : undefined;
    }, 'every message marked sent');
    expect(rows.map((r) => r.attempts).sort()).toEqual([...rows.slice(1).map(() => 1), 2]);

    await sleep(500);
    h.smtp.failNext(1, 550);
    const second = await declareIncident(h.env, taskQueue, { policy, severity: 'P3' });
    const warning = await waitFor(
      async () => (await second.handle.query(stateQuery))!.timeline.find((e) => e.kind === 'warning'),
      'failure on the timeline',
    );
    // Whichever of the page and the initial notification met the failure says so.
    expect(warning.text).toMatch(/Failed to (page|notify) .* by email: SMTP refused .*550/);
    const failed = await h.env.pool.query("SELECT status, last_error FROM pages WHERE incident_number=$1 AND status='failed'", [
      second.state.number,
    ]);
    expect(failed.rows).toHaveLength(1);
  } finally {
    await worker.stop();
  }
});

test('phase budgets are breached, recorded and notified; status updates repeat until resolution', async () => {
  const taskQueue = uniqueQueue('budgets');
  const base = testPolicy();
  const policy = testPolicy({
    phaseBudgets: { detect: '1s', triage: '2s', contain: '60s' },
    severities: { ...base.severities, P1: { ...base.severities.P1, ackSla: '60s', statusUpdateEvery: '2s' } },
  });
  const worker = await startTestWorker(h.env, { taskQueue, policy, smtpUrl: h.smtp.url });
  try {
    const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P1' });
    const id = state.incidentId;
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
    // Still in detect when both the detect (1s) and triage (2s) budgets run out.
    const breached = await waitFor(async () => {
      const s = await handle.query(stateQuery);
      return s && s.breaches.length >= 2 ? s : undefined;
    }, 'two phase breaches');
    expect(breached.breaches.map((b) => b.phase)).toEqual(['detect', 'triage']);
    // Advancing now, triage is already over budget; contain (60s) is not.
    await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'engineer-a', to: 'contain' }] });
    await waitFor(
      () => h.smtp.mails.find((m) => m.subject.includes(`${id} SLA breach: Phase triage`) && m.to.includes('eng-lead@example.com')),
      'breach email',
    );
    await waitFor(
      () => h.smtp.mails.filter((m) => m.subject.includes(`${id} Status update`) && m.to.includes('comms@example.com')).length >= 2,
      'two status updates',
    );

    const final = await handle.executeUpdate(resolveUpdate, {
      args: [{ by: 'ic', rootCause: 'cache stampede', resolution: 'warmed cache' }],
    });
    expect(final.status).toBe('resolved');
    await handle.result();
    const updatesAtResolve = h.smtp.mails.filter((m) => m.subject.includes(`${id} Status update`)).length;
    await sleep(4500);
    expect(h.smtp.mails.filter((m) => m.subject.includes(`${id} Status update`)).length).toBe(updatesAtResolve);
    const rows = await h.env.pool.query('SELECT kind, phase FROM sla_breaches WHERE incident_number=$1 ORDER BY phase', [state.number]);
    expect(rows.rows).toEqual([
      { kind: 'phase', phase: 'detect' },
      { kind: 'phase', phase: 'triage' },
    ]);
  } finally {
    await worker.stop();
  }
});

test('a long incident continues as new with its state, and pages nobody twice', async () => {
  const taskQueue = uniqueQueue('continue-as-new');
  const base = testPolicy();
  const policy = testPolicy({ severities: { ...base.severities, P1: { ...base.severities.P1, ackSla: '60s', statusUpdateEvery: '1s' } } });
  const worker = await startTestWorker(h.env, { taskQueue, policy, smtpUrl: h.smtp.url });
  try {
    const { handle, state } = await declareIncident(h.env, taskQueue, { policy, severity: 'P1', historyLimit: 60 });
    const firstRun = (await handle.describe()).runId;
    await waitFor(
      async () => (await h.env.client.workflow.getHandle(handle.workflowId).describe()).runId !== firstRun,
      'continue-as-new',
      40_000,
    );
    const latest = h.env.client.workflow.getHandle(handle.workflowId);
    const carried = (await latest.query(stateQuery))!;
    expect(carried.incidentId).toBe(state.incidentId);
    expect(carried.timeline[0]!.kind).toBe('declared');
    const resolved = await latest.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'n/a', resolution: 'n/a' }] });
    expect(resolved.status).toBe('resolved');
    const final = (await latest.result()) as IncidentState;
    const seqs = final.timeline.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    const keys = h.smtp.mails
      .filter((m) => m.subject.includes(`${state.incidentId} `) || m.subject.includes(`${state.incidentId}:`))
      .map((m) => String(m.headers.get('x-incident-dedup-key')));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('page:c0-l0:' + keys.find((k) => k.startsWith('page:c0-l0:'))!.split(':')[2]);
    const stored = await h.env.pool.query('SELECT count(*)::int AS n FROM timeline_events WHERE incident_number=$1', [state.number]);
    expect(stored.rows[0].n).toBe(final.timeline.length + final.timelineTruncated);
  } finally {
    await worker.stop();
  }
});
