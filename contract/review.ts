/** The post-incident review workflow's messages and state. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ResponsePolicy } from '../policy/schema';
import type { ActorArgs, Severity } from './common';
import type { ActorProof, Verification } from './identity';

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
  /** The incident had a chat lane: its channel is archived when the review completes. */
  chat?: boolean;
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
  /** How the submitting person was verified. */
  submittedVia?: Verification;
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

/** Requests to the action item store; `proof` (from the HTTP API) makes `by` the verified person. */
export type ActionItemRequest =
  | { op: 'add'; incidentId: string; text: string; owner: string; due: string; by: string; proof?: ActorProof }
  | { op: 'done'; id: string; by: string; proof?: ActorProof }
  | { op: 'list'; incidentId?: string; openOnly?: boolean };
