/**
 * An approval a runbook host checks on its own. When a verified approver approves a step, the HTTP
 * server (which verified them) signs a grant with its Ed25519 key: this step, these parameter values,
 * this run of the incident's runbook workflow, until this time. The host holds only the public key:
 * a step its own policy marks `approval: required` runs with such a grant or not at all. Whoever
 * reaches Temporal, even with the payload key, cannot make one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { ApprovalGrant } from '../contract/runbook';
import { canonicalArgs } from '../contract/identity';

/** A grant is used within this long of the approval (the step runs as soon as its host takes it). */
export const GRANT_TTL_MS = 60 * 60_000;

const grantPayload = (g: Omit<ApprovalGrant, 'sig'>) => `approval-grant-v1\n${canonicalArgs(g)}`;

export function signGrant(key: KeyObject, fields: Omit<ApprovalGrant, 'sig' | 'expiresAt'>, nowMs = Date.now()): ApprovalGrant {
  const unsigned = { ...fields, expiresAt: nowMs + GRANT_TTL_MS };
  return { ...unsigned, sig: sign(null, Buffer.from(grantPayload(unsigned)), key).toString('base64url') };
}

/** Why the grant does not allow this step of this run with these values, or undefined when it does. */
export function grantProblem(
  key: KeyObject | undefined,
  grant: ApprovalGrant | undefined,
  expected: { workflowId: string; runId: string; step: string; params: Record<string, string> },
  nowMs = Date.now(),
): string | undefined {
  if (!key) return 'this host has no APPROVAL_VERIFY_KEY, so it cannot check approvals';
  if (!grant || typeof grant !== 'object' || typeof grant.sig !== 'string') return 'no signed approval came with it';
  const { sig, ...fields } = grant;
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(grantPayload(fields)), key, Buffer.from(sig, 'base64url'));
  } catch {
    valid = false;
  }
  if (!valid) return 'its approval is not signed by the approval key';
  if (grant.step !== expected.step) return `its approval is for ${grant.step}`;
  if (grant.workflowId !== expected.workflowId || grant.runId !== expected.runId) return 'its approval is for another incident or run';
  if (canonicalArgs(grant.params ?? {}) !== canonicalArgs(expected.params)) return 'its approval is for other parameter values';
  if (!(nowMs < grant.expiresAt)) return `its approval expired at ${new Date(grant.expiresAt).toISOString()}`;
  return undefined;
}

/** A new key pair, as base64 DER: the signing half for HTTP servers, the verifying half for runbook hosts. */
export function newApprovalKeyPair(): { signing: string; verify: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signing: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    verify: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export const signingKey = (base64: string) => createPrivateKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'pkcs8' });
export const verifyKey = (base64: string) => createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
