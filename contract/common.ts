/**
 * What every layer shares: severities, phases and statuses, the incident id rule, failure types,
 * search attributes and task queues. Workflows, activities, the CLI, the HTTP server and tests import
 * from here (through contract/index.ts); it imports nothing of theirs. No Node built-ins (lint).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ActorProof } from './identity';

export const DEFAULT_TASK_QUEUE = 'incidents';
export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const PHASES = ['detect', 'triage', 'contain', 'investigate', 'resolve', 'recover', 'review'] as const;
export type Phase = (typeof PHASES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Where an incident came from: Alertmanager, a person, an integration's events, a mail to a mail-in address, or a hotline call. */
export type IncidentSource = 'alertmanager' | 'manual' | 'integration' | 'mail' | 'phone';

/** Failure types carried by ApplicationFailure.type; callers branch on these, never on message text. */
export enum ErrorType {
  InvalidInput = 'InvalidInput',
  InvalidTransition = 'InvalidTransition',
  IncidentResolved = 'IncidentResolved',
  DeliveryRejected = 'DeliveryRejected',
  StoreConflict = 'StoreConflict',
  NotFound = 'NotFound',
  AlreadySubmitted = 'AlreadySubmitted',
  /** The action needs a verified person (policy `identity.require`) and the caller is unverified. */
  IdentityRequired = 'IdentityRequired',
  /** A proof of identity that does not check out: forged, altered, stale or used before. */
  IdentityRejected = 'IdentityRejected',
  /** An API request without a valid token (HTTP 401). */
  Unauthenticated = 'Unauthenticated',
  /** A verified person acting beyond their role (another person's tokens without being an admin; HTTP 403). */
  Forbidden = 'Forbidden',
  /** A runbook host refused a step: its approval is missing, forged, expired or for something else. */
  ApprovalNotVerified = 'ApprovalNotVerified',
}

export const searchAttributes = {
  incidentId: defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('IncidentPhase', SearchAttributeType.KEYWORD),
  service: defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD),
  /** Set at start (titles do not change): the Web UI's list can show and filter it. */
  title: defineSearchAttributeKey('IncidentTitle', SearchAttributeType.KEYWORD),
} as const;

/** What the dev server must register at start (`--search-attribute Name=Keyword`). */
export const SEARCH_ATTRIBUTE_SPECS = Object.values(searchAttributes).map((key) => `${key.name}=Keyword`);

// --- updates: the caller gets an answer, and bad transitions are rejected with a reason ---
export interface ActorArgs {
  /** A name for the timeline; with a proof, the workflow takes the verified person's name instead. */
  by: string;
  /** The HTTP server's signed proof of who acts (see contract/identity.ts). */
  proof?: ActorProof;
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export function formatIncidentId(n: number): string {
  return `INC-${n}`;
}

/** "INC-42" (any case, surrounding blanks ignored) → 42; undefined for anything else. */
export function parseIncidentId(id: string): number | undefined {
  const match = /^\s*INC-(\d{1,9})\s*$/i.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** Shell and SQL steps run on the worker of the host they are about: `npm run worker -- --runbook-host NAME`. */
export const runbookTaskQueue = (host: string) => `runbook-${host}`;
export const LOCAL_RUNBOOK_HOST = 'local';

/** A person's name goes on one timeline line: no newlines or other control characters that could forge another. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
