/** The incident workflow's messages, input, carried state and the state it answers with. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ResponsePolicy } from '../policy/schema';
import type { ActorArgs, IncidentSource, IncidentStatus, Phase, Severity } from './common';
import type { AttachedRunbook } from './runbook';
import type { ActorProof, Verification } from './identity';
import type { OutboundMessage } from './activities';

export interface AlertRef {
  fingerprint: string;
  name: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
}

export interface IncidentInput {
  title: string;
  severity: Severity;
  service: string;
  /**
   * The owning team, when the alert's labels or the declaration named one (policy teams); the worker
   * checks it and the service against its policy when the incident opens.
   */
  team?: string;
  /** How the alert's labels chose the service ("route 2", "label service"), for the timeline. */
  routedBy?: string;
  source: IncidentSource;
  declaredBy: string;
  /** The HTTP server's proof of who declared (an API token, a signed chat request); checked when the incident opens. */
  declaredProof?: ActorProof;
  alerts?: AlertRef[];
  commander?: string;
  /**
   * Snapshot of the response policy: a running incident never changes its escalation chain
   * underneath itself. When omitted, the workflow takes the worker's policy once, at start.
   */
  policy?: ResponsePolicy;
  /** The Alertmanager group this incident belongs to, for incidents started from alerts. */
  groupKey?: string;
  /** Continue-as-new once history reaches this many events, even before the server suggests it. */
  historyLimit?: number;
  /** Set only by continueAsNew. */
  carried?: CarriedIncident;
}

/** What a declaration's proof covers: the incident as asked for (who asked is the proof's person). */
export const declaredArgs = (input: Pick<IncidentInput, 'title' | 'severity' | 'service' | 'commander' | 'team'>) => ({
  title: input.title,
  severity: input.severity,
  service: input.service,
  commander: input.commander,
  // Only when named: proofs signed before teams carry no team.
  ...(input.team ? { team: input.team } : {}),
});

/** Pending work queued by handlers, drained by the workflow's main loop. */
export type Notice =
  | { type: 'initial' }
  | { type: 'executive' }
  | { type: 'phase'; phase: Phase; by: string }
  | { type: 'manual-escalation'; n: number; level: number; by: string; reason?: string }
  | { type: 'breach'; key: string; text: string }
  | { type: 'resolution' }
  | { type: 'customers' }
  | { type: 'approval'; ref: string; subject: string; body: string }
  /** The n-th responder brought in by hand: "schedule:<id>" (a team's on-call) or a contact id. */
  | { type: 'responders'; n: number; target: string; who: string; by: string; reason?: string }
  /** Outside business hours: the first level's on-call hears of it without a page (paging waits for `slaStartsAt`). */
  | { type: 'after-hours'; text: string }
  | { type: 'runbook-notify'; ref: string; targets: string[]; text: string }
  | { type: 'runbook-trouble'; host: string; text: string }
  /** A status update taken by the main loop, sent by the notification lane. */
  | { type: 'status-update'; n: number }
  /** Public update `n` (1-based) to the status page's subscribers. */
  | { type: 'public-update'; n: number };

/** Workflow bookkeeping that survives continueAsNew alongside the state. */
export interface IncidentBook {
  /** Proofs of identity accepted (nonce, signed at): kept by time across continue-as-new, so none is used twice. */
  usedNonces?: { nonce: string; at: number }[];
  nextSeq: number;
  persistedSeq: number;
  /** Escalation entries already paged, by key: re-planning and replays never page twice. */
  paged: string[];
  /** When each level was last paged (by level index): nobody is paged again within the repeat interval. */
  levelPagedAtMs?: Record<string, number>;
  manualEscalations: number;
  statusUpdatesSent: number;
  lastStatusAt: string;
  breachKeys: string[];
  executiveNotified: boolean;
  customersNotified?: boolean;
  notices: Notice[];
  /** Alert batches received, not yet applied by the main loop. */
  alertBatches?: AlertBatch[];
  alertsCleared?: boolean;
  /** Timeline events dropped from the carried state; all of them are in the store. */
  truncatedEvents: number;
  /**
   * Backups (policy `backupAfter`): when each person with a backup was first paged, and whose backup has
   * been paged since. Absent: the incident's policy pages no backups.
   */
  backups?: { watch: Record<string, number>; paged: string[] };
  /**
   * The later channels of pages to people with notification rules, each sent at `atMs` unless the
   * incident is acknowledged first (resolved, for pages that go on after one). Absent: none yet.
   */
  followUps?: { atMs: number; who: string; payload: OutboundMessage }[];
  /** Runbook hosts whose trouble the commander has already been told of. */
  troubleHosts?: string[];
  /** Runbooks attached to the incident, and what their workflow was last told. */
  runbooks?: { attached: AttachedRunbook[]; started: boolean; sent: string };
  /**
   * Chat (when the worker is connected to a chat platform): the last event posted, problems already said on
   * the timeline, and runbook approvals to offer as buttons. Absent: this incident has no chat.
   */
  chat?: { cursor: number; problems: string[]; approvals: { ref: string; text: string }[] };
}

export interface CarriedIncident {
  state: IncidentState;
  book: IncidentBook;
}

export type TimelineKind =
  | 'declared'
  | 'alert'
  | 'page'
  | 'ack'
  | 'escalation'
  | 'phase'
  | 'note'
  | 'sla-breach'
  | 'severity'
  | 'commander'
  | 'status-update'
  | 'notification'
  | 'resolved'
  | 'warning'
  | 'runbook';

export interface TimelineEvent {
  seq: number;
  at: string;
  actor: string;
  kind: TimelineKind;
  text: string;
  /** How the actor was verified, for actions people take (absent on events of the system itself). */
  via?: Verification;
}

export interface PhaseRecord {
  phase: Phase;
  startedAt: string;
  startedBy: string;
  endedAt?: string;
  endedBy?: string;
}

export interface Deadlines {
  /** When the next automatic escalation fires, if unacknowledged. */
  nextEscalation?: string;
  nextStatusUpdate?: string;
  /** When the first public status update is due (user-facing P0/P1), until one is posted. */
  publicUpdate?: string;
  /** The earliest budget of the current or an earlier phase still running. */
  phaseBudget?: { phase: Phase; at: string };
}

export interface IncidentState {
  incidentId: string;
  number: number;
  title: string;
  severity: Severity;
  service: string;
  /** The owning team, when the policy has teams (absent for single-team policies and incidents before them). */
  team?: string;
  /** Who was brought in by hand (`incidentctl page`): a team's on-call or a person, by whom and when. */
  responders?: { who: string; target: string; by: string; at: string }[];
  source: IncidentSource;
  status: IncidentStatus;
  phase: Phase;
  declaredAt: string;
  /**
   * When the SLA clock and paging start, if not at declaration: a severity that pages only in business
   * hours, declared outside its team's (the on-call was notified without a page).
   */
  slaStartsAt?: string;
  declaredBy: string;
  /** How the declaring person was verified (absent for incidents from alerts and from before it was kept). */
  declaredVia?: Verification;
  commander?: string;
  commanderAssignedBy?: string;
  /** The contact id of who named the commander, when they were verified (only those count for approvals). */
  commanderAssignedById?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  acknowledgedVia?: Verification;
  /** Contacts paged for this incident, by id: only they may acknowledge from a page. */
  pagedContacts?: string[];
  /** Highest escalation level paged so far (0 = on-call); -1 before the first page. */
  escalationLevel: number;
  escalationCycle: number;
  phases: PhaseRecord[];
  alerts: AlertRef[];
  rootCause?: string;
  resolution?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolvedVia?: Verification;
  deadlines: Deadlines;
  breaches: SlaBreach[];
  timeline: TimelineEvent[];
  /** How many earlier events were left out of `timeline` to keep history bounded (all are in the store). */
  timelineTruncated: number;
  /** Updates for the public status page; nothing else of the incident is public but these fields. */
  publicUpdates?: PublicUpdate[];
  publicTitle?: string;
  publicImpact?: PublicImpact;
  publicComponents?: string[];
  /** Share of users affected, as last reported. */
  usersAffectedPct?: number;
}

/** What customers read of an incident, and how bad it is for them (never the internal severity). */
export const PUBLIC_STATES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type PublicState = (typeof PUBLIC_STATES)[number];
export const PUBLIC_IMPACTS = ['degraded', 'partial-outage', 'major-outage'] as const;
/** The public state a phase suggests (a published one may be further along). */
export const PHASE_PUBLIC_STATE: Record<Phase, PublicState> = {
  detect: 'investigating',
  triage: 'investigating',
  contain: 'identified',
  investigate: 'identified',
  resolve: 'monitoring',
  recover: 'monitoring',
  review: 'resolved',
};
export const PUBLIC_STATE_LABELS: Record<PublicState, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};
export type PublicImpact = (typeof PUBLIC_IMPACTS)[number];

export interface PublicUpdate {
  at: string;
  text: string;
  /** Absent on updates posted before public states existed. */
  state?: PublicState;
}

/** The public face of an incident, set by its public updates; the status page reads it from the memo. */
export interface PublicIncidentMemo {
  publicUpdates: PublicUpdate[];
  publicTitle?: string;
  publicImpact?: PublicImpact;
  /** Status page component ids (policy statusPage.components). */
  publicComponents?: string[];
}

export interface SlaBreach {
  /** status-page: no public update in time (policy statusPage.updateWithin). */
  kind: 'ack' | 'phase' | 'status-page';
  phase?: Phase;
  at: string;
  text: string;
}

export interface AcknowledgeArgs extends ActorArgs {
  /** The incident the caller means (from a link or a reply); refused when the workflow now holds another. */
  incidentId?: string;
  /** Acknowledging from a page (SMS reply): this contact must have been paged for the incident. */
  pagedContactId?: string;
}
export interface EscalateArgs extends ActorArgs {
  reason?: string;
}
/** `incidentctl page INC-n --team T | --person P`: another team's on-call (or a person) brought in. */
export interface PageRespondersArgs extends ActorArgs {
  team?: string;
  person?: string;
  reason?: string;
}
export interface ChangeSeverityArgs extends ActorArgs {
  severity: Severity;
  reason?: string;
}
export interface AddNoteArgs extends ActorArgs {
  text: string;
}
export interface AssignCommanderArgs extends ActorArgs {
  commander: string;
  /** Accept a commander who is not a contact in the policy (they get no notifications). */
  force?: boolean;
}
export interface AdvancePhaseArgs extends ActorArgs {
  /** Defaults to the next phase. Phases only move forward. */
  to?: Phase;
}
export interface ResolveArgs extends ActorArgs {
  rootCause: string;
  resolution: string;
}

export interface PublicUpdateArgs extends ActorArgs {
  text: string;
  /** The public title: required with the first public update (the internal title is never published). */
  title?: string;
  /** Defaults to the state the incident's phase suggests. */
  state?: PublicState;
  impact?: PublicImpact;
  /** Component ids; default: those whose services include the incident's service. */
  components?: string[];
}
export interface SetImpactArgs extends ActorArgs {
  usersPct: number;
}

export const postPublicUpdate = defineUpdate<IncidentState, [PublicUpdateArgs]>('postPublicUpdate');
export const setImpactUpdate = defineUpdate<IncidentState, [SetImpactArgs]>('setImpact');
export const acknowledgeUpdate = defineUpdate<IncidentState, [AcknowledgeArgs]>('acknowledge');
/** Answers once the incident has its number: `declare` sends it with the start (update-with-start), one round trip. */
export const registeredUpdate = defineUpdate<{ incidentId: string; number: number }, []>('registered');
export const escalateUpdate = defineUpdate<IncidentState, [EscalateArgs]>('escalate');
export const pageRespondersUpdate = defineUpdate<IncidentState, [PageRespondersArgs]>('pageResponders');
export const changeSeverityUpdate = defineUpdate<IncidentState, [ChangeSeverityArgs]>('changeSeverity');
export const addNoteUpdate = defineUpdate<IncidentState, [AddNoteArgs]>('addNote');
export const assignCommanderUpdate = defineUpdate<IncidentState, [AssignCommanderArgs]>('assignCommander');
export const advancePhaseUpdate = defineUpdate<IncidentState, [AdvancePhaseArgs]>('advancePhase');
export const resolveUpdate = defineUpdate<IncidentState, [ResolveArgs]>('resolve');

/** One Alertmanager notification for the incident's group. */
export interface AlertBatch {
  alerts: AlertRef[];
  truncatedAlerts: number;
  /** Mapping remarks for the timeline, e.g. an unknown severity label. */
  notes: string[];
  receivedAt: string;
  groupStatus: 'firing' | 'resolved';
  /** Who sent it, on the timeline ("integration grafana"); absent: Alertmanager. */
  from?: string;
}

/** Alerts starting or joining an incident; the webhook sends it with signalWithStart. */
export const alertsSignal = defineSignal<[AlertBatch]>('alerts');

export const stateQuery = defineQuery<IncidentState | null>('state');

/**
 * What the Temporal Web UI shows of an incident from its start (user metadata: a summary of at most
 * 400 bytes and markdown details), set by whoever starts it; what changes is in its current details.
 */
export function incidentStartMetadata(input: Pick<IncidentInput, 'title' | 'severity' | 'service' | 'source' | 'declaredBy'>): {
  summary: string;
  details: string;
} {
  const summary = input.title.length > 120 ? `${input.title.slice(0, 119)}…` : input.title;
  const details = [
    `**${input.title.replace(/[*_`[\]]/g, (c) => `\\${c}`)}**`,
    '',
    `- service: \`${input.service}\``,
    `- declared as ${input.severity} by ${input.declaredBy} (${input.source})`,
  ].join('\n');
  return { summary, details };
}

/** The monitoring pipeline's heartbeat (policy alertmanager.watchdog): one long-running workflow. */
export const WATCHDOG_WORKFLOW_ID = 'monitoring-watchdog';
export const WATCHDOG_WORKFLOW_TYPE = 'watchdogWorkflow';
export interface WatchdogInput {
  alertname: string;
  silentAfterMs: number;
  severity: Severity;
  /** Carried by continue-as-new: the open "silent" incident's workflow id. */
  silentIncident?: string;
}
/** A heartbeat arrived (the Watchdog alert, firing). */
export const watchdogBeatSignal = defineSignal<[{ at: string }]>('watchdogBeat');
