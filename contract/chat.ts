/**
 * Chat: the platforms an incident can be mirrored to, what its chat lane hands the worker to mirror
 * (platform-neutral), what comes back, and the end-of-day summary's Schedule.
 */
import type { IncidentStatus, Phase, Severity } from './common';
import type { TimelineEvent } from './incident';
import type { Verification } from './identity';

/**
 * Every chat platform: each is a folder in chat/ and a line in chat/registry.ts (the compiler names
 * what a new one still lacks: its policy part, its contacts' ids, its worker and server halves).
 */
export const CHAT_PLATFORMS = ['slack'] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];

/** Someone chat should bring in: their account on each platform the policy knows. */
export interface ChatPerson {
  contactId: string;
  ids: Partial<Record<ChatPlatform, string>>;
}

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
  /** The owning team (policies with teams): its chat channel, when it has one, takes the incident's announcements. */
  team?: string;
  /** People brought in by hand (`incidentctl page`): each is announced once where pages are. */
  responders?: { who: string; by: string }[];
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
  /** Who to invite: everyone paged, and the commander (those with a chat account). */
  invite: ChatPerson[];
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
  /** Why something was not posted (a channel the platform does not know, a missing scope), platform named: said once on the timeline. */
  problems: string[];
}

export const END_OF_DAY_SCHEDULE_ID = 'end-of-day-summary';

/** The end-of-day summary: what the store knows at the hour, posted to each platform's engineering channel. */
export interface EndOfDaySummary {
  date: string;
  open: { incidentId: string; title: string; severity: string; phase: string; declaredAt: string }[];
  resolvedToday: { incidentId: string; title: string; severity: string; resolvedAt: string }[];
  overduePostMortems: { incidentId: string; title: string; dueAt: string }[];
  overdueActionItems: { id: string; incidentId: string; text: string; owner: string; due: string }[];
}
