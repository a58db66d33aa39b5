/** Runbooks: diagnostics that run on their own, changes that wait for a named approval. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ResponsePolicy } from '../policy/schema';
import type { ActorArgs, IncidentStatus, Phase } from './common';
import type { IncidentState } from './incident';

export const RUNBOOK_WORKFLOW_TYPE = 'runbookWorkflow';
/** One runbook workflow per incident, started by the incident (named like its review: by incident id). */
export const runbookWorkflowId = (incidentId: string) => `runbooks-${incidentId}`;

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
  /** For steps the host's own policy gates: the signed approval it checks before running anything. */
  approval?: ApprovalGrant;
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
  /** The approval as its host will check it (present when the approver was verified). */
  grant?: ApprovalGrant;
  rejectedBy?: string;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  outcome?: StepOutcome;
  error?: string;
}

/** `identity` is absent in runbook workflows started before identities were verified: they take the default rules. */
export type RunbookPolicy = Pick<ResponsePolicy, 'runbooks' | 'contacts' | 'escalation'> & Partial<Pick<ResponsePolicy, 'identity'>>;

export interface RunbookInput {
  incidentId: string;
  incidentNumber: number;
  incidentWorkflowId: string;
  /** The parts of the incident's policy snapshot the runbook workflow reads. */
  policy: RunbookPolicy;
  sync: RunbookSync;
}

/** The incident's view, sent by the incident workflow whenever it changes. */
export interface RunbookSync {
  phase: Phase;
  status: IncidentStatus;
  commander?: string;
  /** Who named the commander: a self-assignment, or one by someone not allowed to, cannot approve. */
  commanderAssignedBy?: string;
  /** The contact id of who named the commander, present only when they were verified. */
  commanderAssignedById?: string;
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
  /** Signed by the HTTP server for a verified approver; the host checks it (security/approval-grant.ts). */
  grant?: ApprovalGrant;
}

/** What a runbook host needs to run a step its own policy gates: signed where the approver was verified. */
export interface ApprovalGrant {
  /** The incident's runbook workflow and run the step belongs to. */
  workflowId: string;
  runId: string;
  incidentId: string;
  /** runbook/step */
  step: string;
  /** The parameter values approved, exactly. */
  params: Record<string, string>;
  /** The verified approver (a contact id) and how they were verified. */
  approver: string;
  via: string;
  /** ms since the epoch */
  expiresAt: number;
  /** Ed25519 (base64url) with the approval signing key. */
  sig: string;
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

/** A runbook as `incidentctl runbook list` shows it. */
export interface RunbookSummary {
  id: string;
  title: string;
  steps: number;
  /** Steps that change something and wait for an approval. */
  needApproval: number;
  /** The alert labels it attaches on, e.g. alertname=DiskSpaceLow. */
  matches: string[];
}
