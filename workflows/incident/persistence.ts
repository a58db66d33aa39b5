/**
 * Effects: the incident in the store (registered once, then synced when something changed) and its
 * search attributes in Temporal's visibility, which the CLI's list and the Web UI read.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { formatIncidentId, searchAttributes, type IncidentState, type RegisterIncidentInput } from '../../contract';
import { oneLocalAtATime, withLocalSummary } from './activity-proxies';
import type { Effects } from './paging';
import { record } from './state';

export function registration(fx: Effects): RegisterIncidentInput {
  const { state } = fx.m;
  const info = workflowInfo();
  return {
    workflowId: info.workflowId,
    firstRunId: info.firstExecutionRunId,
    title: state.title,
    severity: state.severity,
    service: state.service,
    source: state.source,
    declaredBy: state.declaredBy,
    declaredAt: state.declaredAt,
  };
}

/** The incident's number and id, and its declaration on the timeline. */
export function applyRegistration(fx: Effects, number: number): void {
  const { state } = fx.m;
  state.number = number;
  state.incidentId = formatIncidentId(number);
  // The declaration shows how its person was verified, as every person's action does.
  const acting = fx.m.acting;
  fx.m.acting = state.declaredVia;
  record(
    fx.m,
    fx.now(),
    'declared',
    state.declaredBy,
    `${state.incidentId} declared: [${state.severity}] ${state.title} (service ${state.service}, source ${state.source})`,
  );
  if (state.commander) record(fx.m, fx.now(), 'commander', state.declaredBy, `Incident commander: ${state.commander}`);
  fx.m.acting = acting;
}

/** Search attributes follow the incident; upserted only when one of them changed. */
export function publishSearchAttributes(fx: Effects): void {
  const { state } = fx.m;
  const values = [state.incidentId, state.severity, state.phase, state.service, state.status];
  if (values.join('|') === fx.m.publishedAttributes) return;
  fx.m.publishedAttributes = values.join('|');
  upsertSearchAttributes([
    { key: searchAttributes.incidentId, value: state.incidentId },
    { key: searchAttributes.severity, value: state.severity },
    { key: searchAttributes.phase, value: state.phase },
    { key: searchAttributes.service, value: state.service },
    { key: searchAttributes.status, value: state.status },
  ]);
}

/** New timeline events, phases and breaches, and the incident's row, to the store. */
export async function flush(fx: Effects): Promise<void> {
  const { m } = fx;
  const { state, book } = m;
  if (!m.storeDirty || !state.number) return;
  const events = state.timeline.filter((e) => e.seq > book.persistedSeq);
  const { timeline: _timeline, phases, breaches, ...rest } = state;
  const snapshot = { number: state.number, state: rest, events, phases, breaches };
  m.syncedRow = storeRowKey(state);
  const summary = `Record ${state.incidentId} (${state.phase}, ${state.status})`;
  const before = m.version;
  await oneLocalAtATime(m, (local) => local.syncIncident.executeWithOptions(withLocalSummary(summary), [snapshot]));
  // Syncs may overlap (the acknowledgement syncs from its handler): the furthest one counts.
  book.persistedSeq = Math.max(book.persistedSeq, events.length ? events[events.length - 1]!.seq : 0);
  // A change made while the sync was out (a message, the notification lane) is synced on the next pass.
  m.storeDirty = m.version !== before;
  publishSearchAttributes(fx);
}

/**
 * What reports read from the store's incident row (and its phases and breaches): a change to it is
 * synced soon. The escalation level rides along with the next sync (every escalation step would
 * otherwise cost a sync of its own).
 */
export function storeRowKey(state: IncidentState): string {
  const { title, severity, service, status, phase, commander, acknowledgedBy, rootCause, resolution, resolvedBy } = state;
  const row = { title, severity, service, status, phase, commander, acknowledgedBy, rootCause, resolution, resolvedBy };
  return JSON.stringify([row, state.phases.length, state.breaches.length]);
}
