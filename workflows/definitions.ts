/**
 * The one place where the incident workflow's contract lives: message names and payloads,
 * state shape, error types, search attributes and the task queue. The workflow, worker,
 * CLI, webhook and tests all import from here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ResponsePolicy } from '../policy/schema';

export const DEFAULT_TASK_QUEUE = 'incidents';
export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const PHASES = ['detect', 'triage', 'contain', 'investigate', 'resolve', 'recover', 'review'] as const;
export type Phase = (typeof PHASES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export type IncidentSource = 'alertmanager' | 'manual';

/** Failure types carried by ApplicationFailure.type; callers branch on these, never on message text. */
export enum ErrorType {
  InvalidInput = 'InvalidInput',
  InvalidTransition = 'InvalidTransition',
  IncidentResolved = 'IncidentResolved',
  DeliveryRejected = 'DeliveryRejected',
  StoreConflict = 'StoreConflict',
  NotFound = 'NotFound',
  AlreadySubmitted = 'AlreadySubmitted',
}

export const searchAttributes = {
  incidentId: defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('IncidentPhase', SearchAttributeType.KEYWORD),
  service: defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD),
} as const;

/** What the dev server must register at start (`--search-attribute Name=Keyword`). */
export const SEARCH_ATTRIBUTE_SPECS = Object.values(searchAttributes).map((key) => `${key.name}=Keyword`);

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
  source: IncidentSource;
  declaredBy: string;
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
  | { type: 'runbook-notify'; ref: string; targets: string[]; text: string }
  | { type: 'runbook-trouble'; host: string; text: string };

/** Workflow bookkeeping that survives continueAsNew alongside the state. */
export interface IncidentBook {
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
  /** Runbook hosts whose trouble the commander has already been told of. */
  troubleHosts?: string[];
  /** Runbooks attached to the incident, and what their workflow was last told. */
  runbooks?: { attached: AttachedRunbook[]; started: boolean; sent: string };
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
  /** The earliest budget of the current or an earlier phase still running. */
  phaseBudget?: { phase: Phase; at: string };
}

export interface IncidentState {
  incidentId: string;
  number: number;
  title: string;
  severity: Severity;
  service: string;
  source: IncidentSource;
  status: IncidentStatus;
  phase: Phase;
  declaredAt: string;
  declaredBy: string;
  commander?: string;
  commanderAssignedBy?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
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
  deadlines: Deadlines;
  breaches: SlaBreach[];
  timeline: TimelineEvent[];
  /** How many earlier events were left out of `timeline` to keep history bounded (all are in the store). */
  timelineTruncated: number;
  /** Updates for the public status page; nothing else of the incident is public. */
  publicUpdates?: PublicUpdate[];
  /** Share of users affected, as last reported. */
  usersAffectedPct?: number;
}

export interface PublicUpdate {
  at: string;
  text: string;
}

export interface SlaBreach {
  kind: 'ack' | 'phase';
  phase?: Phase;
  at: string;
  text: string;
}

// --- updates: the caller gets an answer, and bad transitions are rejected with a reason ---
export interface ActorArgs {
  by: string;
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
export interface ChangeSeverityArgs extends ActorArgs {
  severity: Severity;
  reason?: string;
}
export interface AddNoteArgs extends ActorArgs {
  text: string;
}
export interface AssignCommanderArgs extends ActorArgs {
  commander: string;
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
}
export interface SetImpactArgs extends ActorArgs {
  usersPct: number;
}

export const postPublicUpdate = defineUpdate<IncidentState, [PublicUpdateArgs]>('postPublicUpdate');
export const setImpactUpdate = defineUpdate<IncidentState, [SetImpactArgs]>('setImpact');
export const acknowledgeUpdate = defineUpdate<IncidentState, [AcknowledgeArgs]>('acknowledge');
export const escalateUpdate = defineUpdate<IncidentState, [EscalateArgs]>('escalate');
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
}

/** Alerts starting or joining an incident; the webhook sends it with signalWithStart. */
export const alertsSignal = defineSignal<[AlertBatch]>('alerts');

export const stateQuery = defineQuery<IncidentState | null>('state');

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export function formatIncidentId(n: number): string {
  return `INC-${n}`;
}

// ---- post-incident review ----

export const REVIEW_WORKFLOW_TYPE = 'reviewWorkflow';
export const DIGEST_SCHEDULE_ID = 'weekly-postmortem-digest';
export const reviewWorkflowId = (incidentId: string) => `review-${incidentId}`;

export interface ReviewInput {
  incidentId: string;
  incidentNumber: number;
  title: string;
  severity: Severity;
  commander?: string;
  resolvedAt: string;
  incidentWorkflowId: string;
  policy: ResponsePolicy;
  carried?: ReviewState;
}

export interface ReminderRecord {
  n: number;
  at: string;
  overdue: boolean;
  to: string[];
}

export interface ReviewState {
  incidentId: string;
  status: 'pending' | 'submitted';
  dueAt: string;
  draft: string;
  reminders: ReminderRecord[];
  submittedBy?: string;
  submittedAt?: string;
  markdown?: string;
}

export interface SubmitPostMortemArgs extends ActorArgs {
  markdown: string;
}

export const reviewStateQuery = defineQuery<ReviewState>('reviewState');
/** Re-renders the draft from the store (new action items included) and returns it. */
export const refreshDraftUpdate = defineUpdate<ReviewState, []>('refreshDraft');
export const submitPostMortemUpdate = defineUpdate<ReviewState, [SubmitPostMortemArgs]>('submitPostMortem');

export type ActionItemRequest =
  { op: 'add'; incidentId: string; text: string; owner: string; due: string; by: string } | { op: 'done'; id: string; by: string };

// ---- runbooks: diagnostics that run on their own, changes that wait for a named approval ----

export const RUNBOOK_WORKFLOW_TYPE = 'runbookWorkflow';
export const LOCAL_RUNBOOK_HOST = 'local';
/** One runbook workflow per incident, started by the incident (named like its review: by incident id). */
export const runbookWorkflowId = (incidentId: string) => `runbooks-${incidentId}`;
/** Shell and SQL steps run on the worker of the host they are about: `npm run worker -- --runbook-host NAME`. */
export const runbookTaskQueue = (host: string) => `runbook-${host}`;

export interface AttachedRunbook {
  id: string;
  labels: Record<string, string>;
  by: string;
  at: string;
}

/** What a step would run; `skip` says why it cannot. */
export interface StepPlan {
  ref: string;
  runbook: string;
  step: string;
  title: string;
  phase: Phase;
  kind: 'shell' | 'sql' | 'notify';
  approval: 'none' | 'required';
  timeoutMs: number;
  params: Record<string, string>;
  host?: string;
  queue?: string;
  argv?: string[];
  database?: string;
  sql?: string;
  sqlArgs?: string[];
  action?: 'query' | 'terminate-backends';
  notify?: { targets: string[]; text: string };
  skip?: string;
}

/**
 * What a runbook workflow asks a host to run: a step of the host's own policy, by reference, with the
 * parameter values the host checks again against its own declarations. Never a command: the host builds
 * argv or SQL itself, and refuses when that differs from `expect`, the command the approver saw.
 */
export interface StepRequest {
  incidentId: string;
  runbook: string;
  step: string;
  params: Record<string, string>;
  expect: string;
}

export type StepStatus = 'waiting' | 'awaiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'rejected' | 'cancelled';

export interface StepOutcome {
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  /** The runbook worker that ran it. */
  host: string;
  workerPid: number;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  /** First line of output, for the timeline; everything is in the evidence table. */
  headline: string;
  evidenceId?: number;
  /** terminate-backends: the sessions ended. */
  terminated?: number[];
}

export interface StepRun {
  plan: StepPlan;
  status: StepStatus;
  /** Approval asked at, and when it escalates. */
  requestedAt?: string;
  approvalDeadline?: string;
  escalated?: boolean;
  approvedBy?: string;
  approvedAt?: string;
  rejectedBy?: string;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  outcome?: StepOutcome;
  error?: string;
}

export interface RunbookInput {
  incidentId: string;
  incidentNumber: number;
  incidentWorkflowId: string;
  policy: ResponsePolicy;
  sync: RunbookSync;
}

/** The incident's view, sent by the incident workflow whenever it changes. */
export interface RunbookSync {
  phase: Phase;
  status: IncidentStatus;
  commander?: string;
  /** Who named the commander: a self-assignment, or one by someone not allowed to, cannot approve. */
  commanderAssignedBy?: string;
  attached: AttachedRunbook[];
}

export interface RunbookState {
  incidentId: string;
  sync: RunbookSync;
  steps: StepRun[];
  closed: boolean;
}

/** A runbook event for the incident's timeline; approvals and escalations ride along. */
export interface RunbookEvent {
  text: string;
  actor: string;
  warning?: boolean;
  approval?: { ref: string; subject: string; body: string };
  escalate?: string;
  notify?: { ref: string; targets: string[]; text: string };
  /** A step failed or its host is offline: the commander hears of it once per host; nothing escalates. */
  trouble?: { host: string };
}

export interface AttachRunbookArgs extends ActorArgs {
  runbook: string;
}
export interface ApproveStepArgs extends ActorArgs {
  step: string;
}
export interface RejectStepArgs extends ActorArgs {
  step: string;
  reason: string;
}

export const attachRunbookUpdate = defineUpdate<IncidentState, [AttachRunbookArgs]>('attachRunbook');
/** Dry run: what a runbook would run for this incident, attached or not. */
export const runbookPlanQuery = defineQuery<StepPlan[], [string]>('runbookPlan');
export const runbookEventSignal = defineSignal<[RunbookEvent]>('runbookEvent');

export const runbookSyncSignal = defineSignal<[RunbookSync]>('runbookSync');
export const runbookStateQuery = defineQuery<RunbookState>('runbookState');
export const approveStepUpdate = defineUpdate<StepRun, [ApproveStepArgs]>('approveStep');
export const rejectStepUpdate = defineUpdate<StepRun, [RejectStepArgs]>('rejectStep');

export interface EvidenceRecord {
  id: number;
  incidentId: string;
  ref: string;
  title: string;
  kind: string;
  host: string;
  command: string;
  approvedBy?: string;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  at: string;
}
