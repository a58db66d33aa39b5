import {
  PHASES,
  acknowledgeUpdate,
  addNoteUpdate,
  advancePhaseUpdate,
  assignCommanderUpdate,
  resolveUpdate,
  type IncidentState,
} from '../contract';
import { declareIncident, startTestWorker, testPolicy, waitFor, useIncidentHarness } from './helpers/harness';

const h = useIncidentHarness({ name: 'lifecycle', worker: false });
const { taskQueue } = h;

test('a P1 is declared, acknowledged, advanced through every phase and resolved, with timeline and store rows', async () => {
  const policy = testPolicy();
  const worker = await startTestWorker(h.env, { taskQueue, policy, smtpUrl: h.smtp.url });
  try {
    const { handle, state: declared } = await declareIncident(h.env, taskQueue, { policy, title: 'Payment processing failures' });
    const id = declared.incidentId;
    expect(id).toMatch(/^INC-\d+$/);

    // The on-call engineer's page reaches the SMTP server, with the id, severity and the ack command.
    const page = await waitFor(
      () => h.smtp.mails.find((m) => m.subject.includes(`${id}:`) && m.subject.includes('On-call')),
      'on-call page',
    );
    expect(page.subject).toContain('[P1]');
    expect(page.text).toContain(`incidentctl ack ${id}`);

    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
    await handle.executeUpdate(assignCommanderUpdate, { args: [{ by: 'alice', commander: 'ic' }] });
    await handle.executeUpdate(addNoteUpdate, { args: [{ by: 'alice', text: 'Stripe webhook 500s since deploy 8812' }] });
    let state: IncidentState = declared;
    for (const phase of PHASES.slice(1, -1)) {
      state = await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'bob' }] });
      expect(state.phase).toBe(phase);
    }
    state = await handle.executeUpdate(resolveUpdate, {
      args: [{ by: 'bob', rootCause: 'expired webhook secret', resolution: 'rotated the secret' }],
    });
    expect(state.status).toBe('resolved');
    expect(state.phase).toBe('review');

    const final = (await handle.result()) as IncidentState;
    expect(final.phases.map((p) => p.phase)).toEqual([...PHASES]);
    for (const p of final.phases.slice(0, -1)) expect(p.endedAt).toBeDefined();
    expect(final.phases.find((p) => p.phase === 'triage')).toMatchObject({ startedBy: 'bob', endedBy: 'bob' });
    const kinds = final.timeline.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['declared', 'page', 'ack', 'commander', 'note', 'phase', 'resolved']));
    expect(final.timeline.find((e) => e.kind === 'ack')).toMatchObject({ actor: 'alice' });

    // What a person reads back from the store.
    const number = final.number;
    const incident = await h.env.pool.query('SELECT * FROM incidents WHERE number = $1', [number]);
    expect(incident.rows[0]).toMatchObject({
      incident_id: id,
      status: 'resolved',
      phase: 'review',
      acknowledged_by: 'alice',
      commander: 'ic',
      root_cause: 'expired webhook secret',
      resolution: 'rotated the secret',
    });
    const phases = await h.env.pool.query(
      'SELECT phase, started_by, ended_by FROM incident_phases WHERE incident_number = $1 ORDER BY started_at, phase',
      [number],
    );
    expect(phases.rows.map((r: { phase: string }) => r.phase).sort()).toEqual([...PHASES].sort());
    const events = await h.env.pool.query('SELECT seq, kind, actor, text FROM timeline_events WHERE incident_number = $1 ORDER BY seq', [
      number,
    ]);
    expect(events.rows.map((r: { seq: number }) => r.seq)).toEqual(final.timeline.map((e) => e.seq));
    expect(events.rows).toContainEqual(
      expect.objectContaining({ kind: 'note', actor: 'alice', text: 'Stripe webhook 500s since deploy 8812' }),
    );

    // Phase changes and the resolution went to people by email.
    await waitFor(() => h.smtp.mails.find((m) => m.subject.includes(`${id} Resolved`)), 'resolution notification');
    expect(h.smtp.mails.some((m) => m.subject.includes(`${id} Phase contain`) && m.to.includes('ic@example.com'))).toBe(true);
    const resolution = h.smtp.mails.find((m) => m.subject.includes(`${id} Resolved`))!;
    expect(resolution.text).toContain('Root Cause: expired webhook secret');
    const pages = await h.env.pool.query("SELECT status FROM pages WHERE incident_number = $1 AND status <> 'sent'", [number]);
    expect(pages.rows).toEqual([]);
  } finally {
    await worker.stop();
  }
});
