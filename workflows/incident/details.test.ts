import type { IncidentState } from '../../contract';
import { currentDetails } from './details';

test('the Web UI page says when messages only reached the outbox, and where to read them', () => {
  const state = {
    incidentId: 'INC-9',
    severity: 'P1',
    status: 'open',
    title: 'API down',
    phase: 'detect',
    timeline: [
      { seq: 1, at: '2026-12-03T09:00:00.000Z', actor: 'system', kind: 'page', text: 'Paged Engineer A by email: x' },
      {
        seq: 2,
        at: '2026-12-03T09:00:00.000Z',
        actor: 'system',
        kind: 'warning',
        text: 'Paged Engineer A: SMS not delivered, kept in the outbox: x',
      },
    ],
  } as unknown as IncidentState;
  expect(currentDetails(state, {})).toContain('- not delivered: 1 (kept in the outbox, no provider or refused: `incidentctl inbox INC-9`)');
  expect(currentDetails({ ...state, timeline: state.timeline.slice(0, 1) }, {})).not.toContain('not delivered');
});
