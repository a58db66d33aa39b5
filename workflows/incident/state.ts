/**
 * The incident as data: the state callers see, the book the workflow keeps, and the policy it runs.
 * Pure: no activities, no clock of its own (times come in as `nowMs`).
 */
import type { ResponsePolicy } from '../../policy/schema';
import type { IncidentBook, IncidentInput, IncidentState, Notice, OnCallAnswer, TimelineKind, Verification } from '../../contract';

export const SYSTEM = 'system';

export interface IncidentModel {
  state: IncidentState;
  book: IncidentBook;
  /** Assigned before the main loop; handlers that need it reject until the incident is registered. */
  policy: ResponsePolicy;
  declaredMs: number;
  /** Bumped on every change so the main loop wakes; not carried, it only orders wake-ups. */
  version: number;
  /** Something the store has not heard of yet. */
  storeDirty: boolean;
  /** The search attribute values last upserted (not carried: a new run upserts once). */
  publishedAttributes: string;
  /** The store row as last synced (row changes are synced sooner than timeline events). */
  syncedRow?: string;
  /** The last local activity asked for (they run one at a time: oneLocalAtATime). */
  localTail: Promise<unknown>;
  /** Who was on call when the incident opened (workflow time), for its first page. */
  /** `target`: the team schedule ("schedule:<id>") it answers for; absent for the single rotation. */
  openedOnCall?: { atMs: number; answer: OnCallAnswer; target?: string };
  /** How the person whose action is being applied was verified; set only while it is applied. */
  acting?: Verification;
  /** The verified person's contact id while their action is applied. */
  actingPerson?: string;
  /** Nonces of proofs this incident has accepted (the book's, so they survive continue-as-new). */
  usedNonces: UsedNonce[];
}

import { iso } from '../clock';
import type { UsedNonce } from '../identity';
export { iso };

/** A new incident's state and book, or the ones carried through continue-as-new, unchanged. */
export function initialModel(input: IncidentInput, declaredAt: string): IncidentModel {
  const state: IncidentState = input.carried?.state ?? {
    incidentId: '',
    number: 0,
    title: input.title,
    severity: input.severity,
    service: input.service,
    source: input.source,
    status: 'open',
    phase: 'detect',
    declaredAt,
    declaredBy: input.declaredBy,
    commander: input.commander,
    commanderAssignedBy: input.commander ? input.declaredBy : undefined,
    escalationLevel: -1,
    escalationCycle: 0,
    phases: [{ phase: 'detect', startedAt: declaredAt, startedBy: input.declaredBy }],
    alerts: input.alerts ?? [],
    deadlines: {},
    breaches: [],
    timeline: [],
    timelineTruncated: 0,
  };
  const book: IncidentBook = input.carried?.book ?? {
    nextSeq: 1,
    persistedSeq: 0,
    paged: [],
    manualEscalations: 0,
    statusUpdatesSent: 0,
    lastStatusAt: state.declaredAt,
    breachKeys: [],
    executiveNotified: false,
    notices: [{ type: 'initial' }],
    truncatedEvents: 0,
  };
  return {
    state,
    book,
    policy: input.policy!,
    // The SLA clock: from declaration, or from when business hours start (state.slaStartsAt).
    declaredMs: Date.parse(state.slaStartsAt ?? state.declaredAt),
    version: 0,
    storeDirty: true,
    publishedAttributes: '',
    localTail: Promise.resolve(),
    usedNonces: (book.usedNonces ??= []),
  };
}

export function changed(m: IncidentModel): void {
  m.version++;
  m.storeDirty = true;
}

export function record(m: IncidentModel, nowMs: number, kind: TimelineKind, actor: string, text: string): void {
  const event = { seq: m.book.nextSeq++, at: iso(nowMs), actor, kind, text };
  m.state.timeline.push(m.acting ? { ...event, via: m.acting } : event);
  changed(m);
}

/** Queues work for the main loop (drained first in, first out). */
export function queueNotice(m: IncidentModel, notice: Notice): void {
  m.book.notices.push(notice);
  changed(m);
}

/** Events kept in workflow state across continueAsNew; the store keeps every one. */
export const CARRIED_TIMELINE_EVENTS = 200;

/** What continue-as-new carries: the timeline cut to its last events (all are in the store). */
export function trimForCarry(m: IncidentModel): void {
  const dropped = Math.max(0, m.state.timeline.length - CARRIED_TIMELINE_EVENTS);
  m.state.timeline = m.state.timeline.slice(dropped);
  m.state.timelineTruncated += dropped;
}
