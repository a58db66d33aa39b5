/** Activity inputs and results that workflows and activities both name. */
import type { Channel, ResponsePolicy } from '../policy/schema';
import type { IncidentSource, Severity } from './common';
import type { IncidentState, PhaseRecord, SlaBreach, TimelineEvent } from './incident';
import type { StepOutcome } from './runbook';
import type { ActorProof, VerifiedActor } from './identity';
export interface RegisterIncidentInput {
  workflowId: string;
  firstRunId: string;
  title: string;
  severity: Severity;
  service: string;
  source: IncidentSource;
  declaredBy: string;
  declaredAt: string;
  /** The owning team (set by the worker when the policy has teams). */
  team?: string;
}

export interface IncidentSnapshot {
  number: number;
  state: Omit<IncidentState, 'timeline' | 'phases' | 'breaches'>;
  events: TimelineEvent[];
  phases: PhaseRecord[];
  breaches: SlaBreach[];
}

export type MessageKind = 'page' | 'notification';

export interface OutboundMessage {
  incidentNumber: number;
  incidentId: string;
  /** Unique per incident: the ledger key that makes a retried or replayed send a no-op. */
  dedupKey: string;
  kind: MessageKind;
  recipient: { id: string; name: string; email: string; phone?: string };
  channel: Channel;
  subject: string;
  body: string;
  /** Escalation pages: skip when the incident was acknowledged or resolved meanwhile (pages in flight). */
  stopIfAcknowledged?: boolean;
}

export interface DeliveryResult {
  status: 'sent' | 'outbox' | 'duplicate' | 'skipped';
  channel: Channel;
  messageId?: string;
}

/** One message of a batch: delivered (or not, and why), or refused for good by its provider. */
export type DeliveryOutcome = DeliveryResult | { status: 'failed'; channel: Channel; error: string };

/** What an incident's first local activity answers. */
export interface OpenedIncident {
  number: number;
  /** Who is on call at declaration (overrides included), for the first page. */
  onCall: OnCallAnswer;
  /** The snapshot to use, when the input had none or a refused one. */
  policy?: ResponsePolicy;
  /** Why the input's policy was refused. */
  problem?: string;
  /** This worker's identity rules, when the input's policy was accepted: an input never weakens them. */
  identity?: ResponsePolicy['identity'];
  /** This worker is connected to a chat platform (chat/registry.ts): the incident gets a chat lane. */
  chat?: boolean;
  /** Who declared, as the input's proof verified them; `declaredProblem` says why a proof was refused. */
  declared?: VerifiedActor;
  declaredProblem?: string;
  /**
   * The owning team, when the policy has teams: the incident then runs on its service's escalation
   * policy (policy/teams.ts incidentPolicy, applied by the workflow), and `note` goes on the timeline.
   */
  routing?: { team: string; teamName: string; via: string; note?: string };
  /** The schedule `onCall` answers for, when it is a team's ("schedule:<id>"); else the single rotation. */
  onCallTarget?: string;
  /** The maintenance window the incident's service is in, if any: alerts during it page nobody. */
  maintenance?: MaintenanceWindow;
  /** The owning team's business hours when it opened, when the team has them (`until`: when that changes). */
  businessHours?: { inside: boolean; until: string; text: string };
}

/** A maintenance window: alerts of its service during it are recorded and page nobody. */
export interface MaintenanceWindow {
  id: string;
  service: string;
  from: string;
  to: string;
  reason: string;
  createdBy: string;
  endedAt?: string;
  endedBy?: string;
  /** The window's workflow, which ends it on time (a durable timer) or when someone ends it. */
  workflowId: string;
}

/** `incidentctl maintenance start`: `proof` (from the HTTP API) makes `by` the verified person. */
export interface MaintenanceRequest {
  service: string;
  /** How long, in minutes. */
  minutes: number;
  reason: string;
  by: string;
  proof?: ActorProof;
}

/** `incidentctl oncall [--team T] [--at TIME]`. */
export interface OnCallRequest {
  team?: string;
  at?: string;
}

/** A team's schedule now and next, overrides included. */
export interface TeamOnCall {
  team: string;
  name: string;
  schedule: string;
  now: OnCallAnswer;
  next: OnCallAnswer;
}

/** `incidentctl schedule show S --from --to`. */
export interface ScheduleRequest {
  schedule: string;
  from: string;
  to: string;
}

export interface ScheduleCalendar {
  schedule: string;
  name: string;
  timeZone: string;
  /** Consecutive, from `from` to `to`; no contactId: nobody (a gap). */
  shifts: { contactId?: string; layer: string; from: string; to: string }[];
}

export interface OnCallAnswer {
  /** Undefined when nobody is on call (a rotation gap). */
  contactId?: string;
  /** "rotation": the single-team rotation, or the layer of a team's schedule that decided. */
  source: 'override' | 'rotation' | 'gap';
  from: string;
  to: string;
}

/** `incidentctl override`: `proof` (from the HTTP API) makes `by` the verified person. */
export interface OverrideRequest {
  contactId: string;
  from: string;
  to: string;
  /** A team's schedule (policy.schedules); absent: the single-team rotation. */
  schedule?: string;
  by: string;
  proof?: ActorProof;
}

export interface Override {
  id: string;
  contactId: string;
  from: string;
  to: string;
  /** The team schedule it covers; absent: the single-team rotation. */
  schedule?: string;
  createdBy: string;
}

export interface ActionItem {
  id: string;
  incidentId: string;
  text: string;
  owner: string;
  due: string;
  status: 'open' | 'done';
}

export interface SeverityReport {
  severity: string;
  incidents: number;
  mttaSeconds: { p50: number | null; p90: number | null };
  mttrSeconds: { p50: number | null; p90: number | null };
  /** statusPage: user-facing incidents without a public update in time (policy statusPage.updateWithin). */
  slaBreaches: { ack: number; byPhase: Record<string, number>; statusPage: number };
  postMortems: { onTime: number; late: number; missing: number; pending: number };
  openActionItems: number;
}

/** What a report groups incidents by: `incidentctl report --by`. */
export const REPORT_GROUPS = ['severity', 'team', 'service'] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

/** The same figures for one team or service ("-": incidents of no team). */
export type GroupReport = Omit<SeverityReport, 'severity'> & { group: string };

export interface Digest {
  openReviews: { incidentId: string; title: string; dueAt: string }[];
  overduePostMortems: { incidentId: string; title: string; dueAt: string; remindersSent: number }[];
  overdueActionItems: ActionItem[];
}

/** What the host worker saw; the workflow keeps all but the output, which goes to the evidence table. */
export interface StepResult extends Omit<StepOutcome, 'evidenceId'> {
  stdout: string;
  stderr: string;
}

/** One message to a person, as sent or kept in the outbox (`incidentctl inbox`). */
export interface InboxMessage {
  incidentId: string;
  kind: string;
  /** The contact id it was for. */
  recipient: string;
  channel: string;
  address: string;
  subject: string;
  /** The text as it went out (or would have); absent for messages from before it was kept. */
  body?: string;
  /** A page's acknowledge link. */
  ackUrl?: string;
  status: 'sent' | 'outbox';
  /** Why it was kept, for messages in the outbox. */
  reason?: string;
  at: string;
}
