/**
 * Chat (Slack): what an incident's chat lane hands the worker to mirror, what comes back, the ids of
 * the buttons and modals people press, and the end-of-day summary's Schedule.
 */
import type { IncidentStatus, Phase, Severity } from './common';
import type { TimelineEvent } from './incident';
import type { Verification } from './identity';

/**
 * The incident as chat shows it, made by the workflow (pure) after each change. The worker makes the
 * chat match it: channel, invitations, topic, pinned summary, the page message, new events, the
 * announcements in the plan's channels. Every post goes through the ledger under a key of its own.
 */
export interface ChatView {
  incidentNumber: number;
  incidentId: string;
  workflowId: string;
  title: string;
  service: string;
  severity: Severity;
  status: IncidentStatus;
  phase: Phase;
  declaredAt: string;
  commander?: string;
  acknowledgedBy?: string;
  acknowledgedVia?: Verification;
  resolvedBy?: string;
  resolvedAt?: string;
  rootCause?: string;
  /** The next deadline, as people read it ("escalation to Engineering Lead at …"). */
  next?: string;
  /** The last three events, for the pinned summary. */
  lastEvents: TimelineEvent[];
  /** Events after the cursor, posted as one message (a burst is one post). */
  newEvents: TimelineEvent[];
  /** Slack member ids to invite: everyone paged, and the commander. */
  invite: string[];
  /** The escalation level paged last (-1 before the first page) and its cycle; each level is announced in #on-call once. */
  escalation: { level: number; cycle: number; levelName?: string; names: string[] };
  /** Status updates sent so far; each is posted to #incidents once. */
  statusUpdates: number;
  /** The video war room (P0 by default): posted and pinned. */
  warRoom?: string;
  /** Runbook steps waiting for an approval (buttons in the channel). */
  approvals: { ref: string; text: string }[];
}

export interface ChatSyncResult {
  /** The last event posted (the lane's next cursor). */
  cursor: number;
  /** Why something was not posted (a channel Slack does not know, a missing scope): said once on the timeline. */
  problems: string[];
}

/** Button and modal ids: the HTTP server reads them back from Slack's interaction payloads. */
export const SLACK_ACTIONS = {
  acknowledge: 'incident.acknowledge',
  escalate: 'incident.escalate',
  resolve: 'incident.resolve',
  note: 'incident.note',
  approve: 'runbook.approve',
  reject: 'runbook.reject',
} as const;
export const SLACK_MODALS = { resolve: 'incident.resolve.modal', note: 'incident.note.modal' } as const;

export const END_OF_DAY_SCHEDULE_ID = 'end-of-day-summary';

/** The end-of-day summary: what the store knows at the hour, posted to #engineering. */
export interface EndOfDaySummary {
  date: string;
  open: { incidentId: string; title: string; severity: string; phase: string; declaredAt: string }[];
  resolvedToday: { incidentId: string; title: string; severity: string; resolvedAt: string }[];
  overduePostMortems: { incidentId: string; title: string; dueAt: string }[];
  overdueActionItems: { id: string; incidentId: string; text: string; owner: string; due: string }[];
}
