import { ApplicationFailure } from '@temporalio/workflow';
import type { ResponsePolicy } from '../policy/schema';
import { noSuchTeam } from '../policy/teams';
import {
  CONTROL_CHARACTERS,
  ErrorType,
  PHASES,
  isPhase,
  isSeverity,
  type AcknowledgeArgs,
  type AddNoteArgs,
  type AdvancePhaseArgs,
  type AttachedRunbook,
  type AttachRunbookArgs,
  type AssignCommanderArgs,
  type ChangeSeverityArgs,
  type EscalateArgs,
  type PageRespondersArgs,
  type IncidentState,
  type PublicUpdateArgs,
  type ResolveArgs,
  PUBLIC_IMPACTS,
  PUBLIC_STATES,
} from '../contract';

export const MAX_TEXT = 4000;

function invalid(message: string): never {
  throw ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);
}
function rejected(message: string): never {
  throw ApplicationFailure.nonRetryable(message, ErrorType.InvalidTransition);
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(`${field} must not be empty`);
  if (value.length > MAX_TEXT) invalid(`${field} is longer than ${MAX_TEXT} characters`);
  return value;
}

export function requireName(value: unknown, field: string): string {
  const text = requireText(value, field);
  if (text.length > 200) invalid(`${field} is longer than 200 characters`);
  if (CONTROL_CHARACTERS.test(text)) invalid(`${field} must be one line without control characters`);
  return text;
}

function requireOpen(state: IncidentState, by: unknown): void {
  requireName(by, 'by');
  if (!state.number) rejected('the incident is still being registered; retry in a moment');
  if (state.status === 'resolved') {
    throw ApplicationFailure.nonRetryable(
      `${state.incidentId || 'incident'} was resolved at ${state.resolvedAt} by ${state.resolvedBy}; it accepts no changes`,
      ErrorType.IncidentResolved,
    );
  }
}

export function validateAcknowledge(state: IncidentState, args: AcknowledgeArgs): void {
  // A link or reply names its incident: an alert group's workflow id outlives each incident it held.
  if (args?.incidentId !== undefined && args.incidentId !== state.incidentId)
    rejected(
      `${args.incidentId} is already resolved; nothing was acknowledged (the open incident here is ${state.incidentId || 'a newer one'})`,
    );
  requireOpen(state, args?.by);
  if (state.acknowledgedBy) rejected(`already acknowledged by ${state.acknowledgedBy} at ${state.acknowledgedAt}`);
  if (args.pagedContactId !== undefined && !(state.pagedContacts ?? []).includes(args.pagedContactId))
    rejected(`${args.by} was not paged for ${state.incidentId}, so cannot acknowledge it from a page`);
}

export function validateEscalate(state: IncidentState, args: EscalateArgs, nextLevel: number | undefined): void {
  requireOpen(state, args?.by);
  if (args.reason !== undefined && typeof args.reason !== 'string') invalid('reason must be text');
  if (nextLevel === undefined) {
    rejected(`already at the last escalation level for ${state.severity}; raise the severity to reach further`);
  }
}

/** Exactly one of a team (of the policy) or a person (a contact) to bring in. */
export function validatePageResponders(state: IncidentState, policy: ResponsePolicy, args: PageRespondersArgs): void {
  requireOpen(state, args?.by);
  if (args.reason !== undefined && typeof args.reason !== 'string') invalid('reason must be text');
  if ((args.team === undefined) === (args.person === undefined)) invalid('name a team or a person to page (one of them)');
  if (args.team !== undefined && !(policy.teams ?? []).some((t) => t.id === args.team)) invalid(noSuchTeam(policy, String(args.team)));
  if (args.person !== undefined && !policy.contacts.some((c) => c.id === args.person))
    invalid(`unknown contact "${String(args.person)}"; contacts: ${policy.contacts.map((c) => c.id).join(', ')}`);
}

export function validateChangeSeverity(state: IncidentState, args: ChangeSeverityArgs): void {
  requireOpen(state, args?.by);
  if (typeof args.severity !== 'string' || !isSeverity(args.severity))
    invalid(`severity must be one of P0, P1, P2, P3 (got "${String(args.severity)}")`);
  if (args.severity === state.severity) rejected(`severity is already ${state.severity}`);
}

export function validateAddNote(state: IncidentState, args: AddNoteArgs): void {
  requireOpen(state, args?.by);
  requireText(args.text, 'note');
}

export function validateAssignCommander(state: IncidentState, args: AssignCommanderArgs, contacts: { id: string }[]): void {
  requireOpen(state, args?.by);
  requireName(args.commander, 'commander');
  if (args.commander === state.commander) rejected(`${args.commander} is already the commander`);
  // A typo would leave the incident led by nobody who hears of it.
  if (!args.force && !contacts.some((c) => c.id === args.commander))
    invalid(
      `"${args.commander}" is not a contact in the policy (contacts: ${contacts.map((c) => c.id).join(', ')}); --force to name them anyway`,
    );
}

export function validateAdvancePhase(state: IncidentState, args: AdvancePhaseArgs): void {
  requireOpen(state, args?.by);
  const current = PHASES.indexOf(state.phase);
  if (args.to !== undefined && (typeof args.to !== 'string' || !isPhase(args.to))) {
    invalid(`phase must be one of ${PHASES.join(', ')} (got "${String(args.to)}")`);
  }
  const target = args.to ? PHASES.indexOf(args.to) : current + 1;
  if (target <= current) rejected(`phases only move forward; ${state.incidentId} is already in ${state.phase}`);
  if (PHASES[target] === 'review') rejected('the review phase starts on resolution: use resolve with a root cause and resolution');
}

export function validateResolve(state: IncidentState, args: ResolveArgs): void {
  requireOpen(state, args?.by);
  requireText(args.rootCause, 'root cause');
  requireText(args.resolution, 'resolution');
}

export function validatePublicUpdate(state: IncidentState, args: PublicUpdateArgs, componentIds: string[]): void {
  requireOpen(state, args?.by);
  requireText(args.text, 'update');
  if (args.title !== undefined) {
    requireName(args.title, 'public title');
    if (args.title.length > 120) invalid('public title is longer than 120 characters');
  } else if (!state.publicTitle) {
    invalid('the first public update needs a public title (--title): the internal title is never published');
  }
  if (args.state !== undefined && !(PUBLIC_STATES as readonly string[]).includes(args.state))
    invalid(`public state must be one of ${PUBLIC_STATES.join(', ')} (got "${String(args.state)}")`);
  if (args.impact !== undefined && !(PUBLIC_IMPACTS as readonly string[]).includes(args.impact))
    invalid(`public impact must be one of ${PUBLIC_IMPACTS.join(', ')} (got "${String(args.impact)}")`);
  if (args.state === 'resolved') rejected('an incident is resolved with resolve; its public page then says so');
  for (const c of args.components ?? [])
    if (!componentIds.includes(c)) invalid(`no status page component "${c}"; components: ${componentIds.join(', ') || 'none'}`);
}

export function validateSetImpact(state: IncidentState, args: { by: string; usersPct: number }): void {
  requireOpen(state, args?.by);
  if (typeof args.usersPct !== 'number' || !Number.isFinite(args.usersPct) || args.usersPct < 0 || args.usersPct > 100) {
    invalid(`users affected must be a percentage from 0 to 100 (got ${String(args.usersPct)})`);
  }
}

export function validateAttachRunbook(
  state: IncidentState,
  policy: ResponsePolicy,
  attached: AttachedRunbook[],
  { by, runbook }: AttachRunbookArgs,
): void {
  requireOpen(state, by);
  const ids = (policy.runbooks?.definitions ?? []).map((d) => d.id);
  if (!ids.includes(runbook)) {
    throw ApplicationFailure.nonRetryable(
      `no runbook "${runbook}" in ${state.incidentId}'s policy; runbooks: ${ids.join(', ') || 'none'}`,
      ErrorType.NotFound,
    );
  }
  if (attached.some((a) => a.id === runbook)) rejected(`runbook ${runbook} is already attached to ${state.incidentId}`);
}
