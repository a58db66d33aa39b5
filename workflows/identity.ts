/**
 * Acting as a verified person, for the incident and runbook workflows: the validator refuses an
 * unverified caller where the policy asks for a verified one; with a proof, the handler has a worker
 * check it (an activity: the secret stays out of history) and acts as the person it names, never as
 * the `by` the caller wrote.
 */
import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_IDENTITY_REQUIRE,
  ErrorType,
  PROOF_TTL_MS,
  identityRule,
  type Action,
  type ActorArgs,
  type ProvenAct,
  type Verification,
  type VerifiedActor,
} from '../contract';

const DESCRIBED: Record<Action, string> = {
  acknowledge: 'acknowledging',
  escalate: 'escalating',
  severity: 'changing the severity of',
  note: 'adding a note to',
  commander: 'naming the commander of',
  advance: 'advancing the phase of',
  resolve: 'resolving',
  'public-update': 'posting a public update on',
  impact: 'reporting the impact of',
  'attach-runbook': 'attaching a runbook to',
  page: 'bringing responders into',
  approve: 'approving a runbook step of',
  reject: 'rejecting a runbook step of',
};

/** Refuses an unverified caller where `require` (the policy's `identity.require`) names the action. */
export function requireIdentity(
  require: readonly string[] | undefined,
  action: Action,
  severities: (string | undefined)[],
  args: ActorArgs,
): void {
  if (args?.proof) return; // checked by the handler, before anything changes
  const rules = require ?? DEFAULT_IDENTITY_REQUIRE;
  const rule = severities.map((s) => identityRule(rules, action, s)).find(Boolean) ?? identityRule(rules, action, undefined);
  if (!rule) return;
  const severity = rule.includes(':') ? ` a ${rule.split(':')[1]} incident` : ' an incident';
  throw ApplicationFailure.nonRetryable(
    `${DESCRIBED[action]}${severity} needs a verified identity (policy identity.require: ${rule}); ` +
      'act with an API token (INCIDENT_API_URL and INCIDENT_TOKEN), a signed link or reply, or chat',
    ErrorType.IdentityRequired,
  );
}

export type VerifyActivity = (input: {
  proof: NonNullable<ActorArgs['proof']>;
  action: ProvenAct;
  workflowId: string;
  incidentId: string;
  args: object;
}) => Promise<VerifiedActor>;

/** A proof accepted by a workflow: its nonce, until the proof could no longer be used anyway. */
export interface UsedNonce {
  nonce: string;
  /** When the proof was signed (ms); a proof is refused PROOF_TTL_MS either side of it. */
  at: number;
}

/**
 * The caller as verified: the proof's person (after the worker checked it, and only once per proof),
 * or the `by` written by an unverified caller. Nonces are kept for as long as their proofs could be
 * used (by time, not by count) and travel with the incident through continue-as-new.
 */
export async function verifiedActor(
  verify: VerifyActivity,
  usedNonces: UsedNonce[],
  action: ProvenAct,
  args: ActorArgs,
  incidentId: string,
): Promise<VerifiedActor | { person?: undefined; name: string; via: Verification }> {
  const proof = args.proof;
  if (!proof) return { name: args.by, via: 'unverified' };
  const used = () => usedNonces.some((u) => u.nonce === proof.nonce);
  if (used()) throw ApplicationFailure.nonRetryable('not done: this proof of identity was used before', ErrorType.IdentityRejected);
  const actor = await verify({ proof, action, workflowId: workflowInfo().workflowId, incidentId, args }).catch((error: unknown) => {
    // The caller gets the worker's typed refusal, not "activity failed".
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) throw error.cause;
    throw error;
  });
  if (used()) throw ApplicationFailure.nonRetryable('not done: this proof of identity was used before', ErrorType.IdentityRejected);
  // Past twice the proof lifetime a nonce cannot come back: the worker refuses its proof as expired.
  const horizon = Date.now() - 2 * PROOF_TTL_MS;
  for (let i = usedNonces.length - 1; i >= 0; i--) if (usedNonces[i]!.at < horizon) usedNonces.splice(i, 1);
  usedNonces.push({ nonce: proof.nonce, at: proof.at });
  return actor;
}
