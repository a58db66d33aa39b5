// What the incident does at time T, against the shipped policy with its real durations: pure, no server.
import { loadPolicy } from '../../policy/load';
import type { AlertRef, Severity } from '../../contract';
import { planDeadlines } from './deadlines';
import { dedupKeys } from './dedup-keys';
import { initialModel, type IncidentModel } from './state';
import * as t from './transitions';
import { validateAcknowledge, validateAdvancePhase, validateEscalate } from '../validators';
import { ErrorType } from '../../contract';

const policy = loadPolicy();
const T0 = Date.parse('2026-11-27T10:00:00Z');
const SEC = 1_000;
const MIN = 60 * SEC;

/** A registered incident declared at T0 whose first page (on-call, level 0) is out, as after the workflow's first pass. */
function incident(severity: Severity, { alerts = [] as AlertRef[] } = {}): IncidentModel {
  const m = initialModel(
    { title: 'API 5xx spike', severity, service: 'api', source: 'manual', declaredBy: 'alice', policy, alerts },
    new Date(T0).toISOString(),
  );
  m.state.number = 1;
  m.state.incidentId = 'INC-1';
  m.book.notices = [];
  const first = t.takeDueEscalations(m, T0 + 100);
  for (const e of first.page) t.notePagedLevel(m, e.level, T0 + 200);
  return m;
}
const keys = (step: t.EscalationStep) => step.page.map((e) => dedupKeys.escalationPage(e.cycle, e.level));
const lastEvent = (m: IncidentModel) => m.state.timeline[m.state.timeline.length - 1]!;

describe('escalation', () => {
  test('P1 declared at T0 pages the on-call engineer at once, and nobody else', () => {
    const m = incident('P1');
    expect(m.book.paged).toEqual(['c0-l0']);
    expect(m.state.escalationLevel).toBe(0);
    expect(t.takeDueEscalations(m, T0 + 15 * MIN - 1).page).toEqual([]);
  });

  test('P1 declared at T0, unacknowledged at T0+15m: page Engineering lead, breach the ack SLA', () => {
    const m = incident('P1');
    const now = T0 + 15 * MIN;
    const step = t.takeDueEscalations(m, now);
    expect(keys(step)).toEqual(['page:c0-l1']);
    expect(step.oneByOne).toBe(false);
    expect(lastEvent(m).text).toBe('Not acknowledged: escalating to Engineering lead');
    t.recordBreaches(m, now);
    expect(m.state.breaches.map((b) => b.text)).toEqual([
      'P1 not acknowledged within 15m',
      'P1 without a public status update within 15m of detection',
      "Phase detect not finished within 5m of declaration (its budget counts from the declaration, not from the phase's start)",
      "Phase triage not finished within 15m of declaration (its budget counts from the declaration, not from the phase's start)",
    ]);
    expect(m.book.notices.filter((n) => n.type === 'breach').map((n) => (n as { key: string }).key)).toEqual([
      'ack',
      'status-page',
      'phase:detect',
      'phase:triage',
    ]);
  });

  test('acknowledged at T0+5m: nothing is paged later and the ack SLA is not breached', () => {
    const m = incident('P1');
    t.acknowledge(m, { by: 'alice' }, T0 + 5 * MIN);
    expect(m.state.acknowledgedAt).toBe('2026-11-27T10:05:00.000Z');
    expect(t.takeDueEscalations(m, T0 + 3 * 60 * MIN).page).toEqual([]);
    t.recordBreaches(m, T0 + 3 * 60 * MIN);
    expect(m.state.breaches.map((b) => b.kind)).not.toContain('ack');
    expect(planDeadlines(m).deadlines.nextEscalation).toBeUndefined();
  });

  test('P3 re-planned as P1 at T0+20m: the lead is due now, the CTO at T0+30m', () => {
    const m = incident('P3');
    expect(t.takeDueEscalations(m, T0 + 20 * MIN).page).toEqual([]);
    t.changeSeverity(m, { by: 'alice', severity: 'P1', reason: 'all regions' }, T0 + 20 * MIN);
    expect(keys(t.takeDueEscalations(m, T0 + 20 * MIN))).toEqual(['page:c0-l1']);
    expect(planDeadlines(m).deadlines.nextEscalation).toBe('2026-11-27T10:30:00.000Z');
    expect(m.book.notices).toEqual([]);
  });

  test('P1 re-planned as P0 notifies the executives, once', () => {
    const m = incident('P1');
    t.changeSeverity(m, { by: 'alice', severity: 'P0' }, T0 + MIN);
    expect(m.book.notices).toEqual([{ type: 'executive' }]);
  });

  test('P0 pages every level at once, and the plan does not page them again', () => {
    const m = incident('P0');
    expect(m.book.paged).toEqual(['c0-l0', 'c0-l1', 'c0-l2', 'c0-l3']);
    expect(t.takeDueEscalations(m, T0 + 10 * MIN).page).toEqual([]);
  });

  test('after the worker was down 50 minutes, each overdue level is paged once, on-call first, one by one', () => {
    const m = incident('P1');
    const step = t.takeDueEscalations(m, T0 + 50 * MIN);
    expect(step.oneByOne).toBe(true);
    expect(step.page.map((e) => e.level)).toEqual([0, 1, 2]);
    expect(
      m.state.timeline.some((e) => e.text.startsWith('Paging was held up from 2026-11-27T10:15:00.000Z to 2026-11-27T10:50:00.000Z')),
    ).toBe(true);
  });

  test('a manual escalation pages the next level under its own key, and the plan skips that level', () => {
    const m = incident('P1');
    t.escalate(m, { by: 'alice', reason: 'no answer' }, T0 + 2 * MIN);
    expect(m.book.notices).toEqual([{ type: 'manual-escalation', n: 1, level: 1, by: 'alice', reason: 'no answer' }]);
    expect(dedupKeys.manualPage(1, 1)).toBe('page:m1-l1');
    expect(lastEvent(m).text).toBe('Manual escalation to Engineering lead: no answer');
    expect(keys(t.takeDueEscalations(m, T0 + 15 * MIN))).toEqual([]);
    expect(t.nextManualLevel(m)).toBe(2);
  });
});

describe('runbook approvals that go unanswered', () => {
  const escalateEvent = { text: 'Step 2 still waits for approval', actor: 'runbook', escalate: 'Approval of restart-api/2 unanswered' };

  test('each reminder escalates one level', () => {
    const m = incident('P1');
    t.applyRunbookEvent(m, escalateEvent, T0 + MIN);
    expect(m.state.escalationLevel).toBe(1);
  });

  test('past the last level, the timeline keeps the reminder and nobody is paged again', () => {
    const m = incident('P1');
    for (let i = 0; i < 2; i++) t.applyRunbookEvent(m, escalateEvent, T0 + MIN);
    m.book.notices = [];
    t.applyRunbookEvent(m, escalateEvent, T0 + 2 * MIN);
    expect(m.book.notices).toEqual([]);
    expect(lastEvent(m).text).toBe('Approval of restart-api/2 unanswered: every level of the escalation path has been paged');
  });

  test('trouble on a host informs once per host', () => {
    const m = incident('P1');
    t.applyRunbookEvent(m, { text: 'db-1 offline', actor: 'runbook', trouble: { host: 'db-1' } }, T0);
    t.applyRunbookEvent(m, { text: 'db-1 still offline', actor: 'runbook', trouble: { host: 'db-1' } }, T0);
    expect(m.book.notices).toEqual([{ type: 'runbook-trouble', host: 'db-1', text: 'db-1 offline' }]);
  });
});

describe('status updates, phases and impact', () => {
  test('a P1 status update is due every 30 minutes from declaration', () => {
    const m = incident('P1');
    expect(t.takeDueStatusUpdate(m, T0 + 30 * MIN - 1)).toBeUndefined();
    expect(t.takeDueStatusUpdate(m, T0 + 30 * MIN)).toEqual({ n: 1 });
    expect(t.takeDueStatusUpdate(m, T0 + 31 * MIN)).toBeUndefined();
    expect(planDeadlines(m).deadlines.nextStatusUpdate).toBe('2026-11-27T11:00:00.000Z');
  });

  test('a P3 sends no status updates', () => {
    expect(t.takeDueStatusUpdate(incident('P3'), T0 + 48 * 60 * MIN)).toBeUndefined();
  });

  test('advancing past phases records the skipped ones as zero-length', () => {
    const m = incident('P2');
    t.advancePhase(m, { by: 'alice', to: 'investigate' }, T0 + 10 * MIN);
    expect(m.state.phases.map((p) => [p.phase, p.endedAt ?? null])).toEqual([
      ['detect', '2026-11-27T10:10:00.000Z'],
      ['triage', '2026-11-27T10:10:00.000Z'],
      ['contain', '2026-11-27T10:10:00.000Z'],
      ['investigate', null],
    ]);
    expect(m.book.notices).toEqual([{ type: 'phase', phase: 'investigate', by: 'alice' }]);
    // Budgets of phases already left are no longer deadlines.
    expect(planDeadlines(m).deadlines.phaseBudget).toEqual({ phase: 'investigate', at: '2026-11-27T12:00:00.000Z' });
  });

  test('impact above the threshold on a P1 queues the customer email once', () => {
    const m = incident('P1');
    t.setImpact(m, { by: 'alice', usersPct: 25 }, T0);
    t.setImpact(m, { by: 'alice', usersPct: 30 }, T0);
    expect(m.book.notices).toEqual([{ type: 'customers' }]);
  });
});

describe('alerts', () => {
  const alert = (status: 'firing' | 'resolved'): AlertRef => ({
    fingerprint: 'f1',
    name: 'DiskFull',
    status,
    labels: { alertname: 'DiskFull' },
  });
  const batch = (status: 'firing' | 'resolved') => ({
    alerts: [alert(status)],
    truncatedAlerts: 0,
    notes: [],
    receivedAt: '',
    groupStatus: status,
  });

  test('a P3 resolves itself when every alert clears', () => {
    const m = incident('P3', { alerts: [alert('firing')] });
    t.queueAlertBatch(m, batch('resolved'));
    t.applyAlertBatches(m, T0 + MIN);
    expect(m.state.status).toBe('resolved');
    expect(m.state.phase).toBe('review');
    expect(m.book.notices).toEqual([{ type: 'resolution' }]);
  });

  test('a P1 waits for a human when its alerts clear', () => {
    const m = incident('P1', { alerts: [alert('firing')] });
    t.queueAlertBatch(m, batch('resolved'));
    t.applyAlertBatches(m, T0 + MIN);
    expect(m.state.status).toBe('open');
    expect(lastEvent(m).text).toBe('P1 waits for a human to resolve: an alert clearing is not a root cause');
  });

  test('the same alert again is not recorded twice', () => {
    const m = incident('P1', { alerts: [alert('firing')] });
    const before = m.state.timeline.length;
    t.queueAlertBatch(m, batch('firing'));
    t.applyAlertBatches(m, T0 + MIN);
    expect(m.state.timeline.length).toBe(before);
  });
});

describe('deadlines', () => {
  test('P1 at T0: the next wake-up is the detect budget at T0+5m; the lead is due at T0+15m', () => {
    const m = incident('P1');
    const { deadlines, next } = planDeadlines(m);
    expect(next).toEqual({ atMs: T0 + 5 * MIN, summary: 'Phase detect budget: 5m from declaration' });
    expect(deadlines.nextEscalation).toBe('2026-11-27T10:15:00.000Z');
  });

  test('working out deadlines changes nothing (queries must not mutate)', () => {
    const m = incident('P1');
    const before = JSON.stringify(m);
    planDeadlines(m);
    expect(JSON.stringify(m)).toBe(before);
  });
});

describe('after resolution', () => {
  test('every change is refused as IncidentResolved, naming the resolution', () => {
    const m = incident('P1');
    t.resolve(m, { by: 'ic', rootCause: 'slow disk', resolution: 'moved volume' }, T0 + MIN);
    for (const attempt of [
      () => validateAcknowledge(m.state, { by: 'late' }),
      () => validateEscalate(m.state, { by: 'late' }, t.nextManualLevel(m)),
      () => validateAdvancePhase(m.state, { by: 'late' }),
    ]) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ type: ErrorType.IncidentResolved });
    }
  });
});

describe('the plan: a status page update within 15 minutes of P0/P1 detection', () => {
  const withRule = (severity: Severity, service = 'api') => {
    const m = incident(severity);
    m.state.service = service;
    return m;
  };

  test('a user-facing P1 with no public update is due at 15 minutes, breaches once, and pages the communications lead', () => {
    const m = withRule('P1');
    expect(planDeadlines(m).deadlines.publicUpdate).toBe(new Date(T0 + 15 * MIN).toISOString());
    t.recordBreaches(m, T0 + 15 * MIN - 1);
    expect(m.state.breaches.filter((b) => b.kind === 'status-page')).toEqual([]);
    t.recordBreaches(m, T0 + 15 * MIN);
    t.recordBreaches(m, T0 + 20 * MIN);
    expect(m.state.breaches.filter((b) => b.kind === 'status-page')).toHaveLength(1);
    expect(m.book.notices).toContainEqual({
      type: 'breach',
      key: 'status-page',
      text: 'P1 without a public status update within 15m of detection',
    });
    expect(planDeadlines(m).deadlines.publicUpdate).toBeUndefined();
  });

  test('a public update in time, a P2 or an internal service: nothing due', () => {
    const published = withRule('P0');
    t.postPublicUpdate(published, { by: 'comms', text: 'Investigating', title: 'Sign-in failing' }, T0 + 5 * MIN);
    const cases = [published, withRule('P2'), withRule('P1', 'batch-reports')];
    for (const m of cases) {
      expect(planDeadlines(m).deadlines.publicUpdate).toBeUndefined();
      t.recordBreaches(m, T0 + 60 * MIN);
      expect(m.state.breaches.filter((b) => b.kind === 'status-page')).toEqual([]);
    }
  });
});

describe('business hours', () => {
  /** A P2 declared at T0 (outside its team's hours: they start at `until`), before its first pass. */
  function afterHours(until: number) {
    const m = initialModel(
      { title: 'Checkout latency', severity: 'P2', service: 'checkout', source: 'manual', declaredBy: 'alice', policy },
      new Date(T0).toISOString(),
    );
    m.policy = { ...policy, severities: { ...policy.severities, P2: { ...policy.severities.P2, businessHoursOnly: true } } };
    Object.assign(m.state, { number: 2, incidentId: 'INC-2', team: 'payments' });
    m.book.notices = [];
    t.waitForBusinessHours(m, { until: new Date(until).toISOString(), text: 'mon-fri 09:00–18:00 (America/New_York)' }, T0);
    return m;
  }
  const monday9 = T0 + 3 * 24 * 60 * MIN;

  test('a P2 outside business hours tells the on-call without a page, and pages when they start', () => {
    const m = afterHours(monday9);
    expect(m.state.slaStartsAt).toBe(new Date(monday9).toISOString());
    expect(m.book.notices).toEqual([{ type: 'after-hours', text: expect.stringContaining('the on-call is told without a page') }]);
    expect(lastEvent(m).text).toBe(
      'P2 outside the business hours of team payments (mon-fri 09:00–18:00 (America/New_York)): the on-call is told without a page; paging and the SLA clock start at 2026-11-30T10:00:00.000Z',
    );
    // Nothing is paged or breached overnight; the first page, SLA and updates count from the start of business hours.
    expect(t.takeDueEscalations(m, monday9 - 1).page).toEqual([]);
    t.recordBreaches(m, monday9 - 1);
    expect(m.state.breaches).toEqual([]);
    const { deadlines, next } = planDeadlines(m);
    expect(deadlines.nextEscalation).toBe(new Date(monday9).toISOString());
    expect(next).toEqual({ atMs: monday9, summary: 'Business hours start: page On-call engineer' });
    expect(deadlines.nextStatusUpdate).toBe(new Date(monday9 + 60 * MIN).toISOString());
    expect(keys(t.takeDueEscalations(m, monday9))).toEqual(['page:c0-l0']);
  });

  test('raised to P1 while it waits, it pages at once', () => {
    const m = afterHours(monday9);
    t.changeSeverity(m, { by: 'alice', severity: 'P1', reason: 'checkout is down' }, T0 + 10 * MIN);
    expect(lastEvent(m).text).toBe('P1 pages around the clock: paging and the SLA clock start now');
    expect(keys(t.takeDueEscalations(m, T0 + 10 * MIN))).toEqual(['page:c0-l0']);
  });

  test('a severity that pages around the clock does not wait', () => {
    const fresh = initialModel(
      { title: 'x', severity: 'P1', service: 'checkout', source: 'manual', declaredBy: 'alice', policy },
      new Date(T0).toISOString(),
    );
    t.waitForBusinessHours(fresh, { until: new Date(monday9).toISOString(), text: '' }, T0);
    expect(fresh.state.slaStartsAt).toBeUndefined();
    expect(fresh.book.notices).toEqual([{ type: 'initial' }]);
  });
});
