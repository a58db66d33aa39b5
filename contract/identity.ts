/**
 * Who did something, and how that was verified. A workflow never trusts a name in an update's
 * arguments: the HTTP server, which verified the person (an API token, a signed acknowledge link, a
 * Twilio-signed SMS, a signed chat request), signs a proof of the action; the workflow has a worker
 * check that proof (the secret stays out of histories) before it changes anything.
 */
/**
 * How an action's person was verified; `unverified` is `--as` over a direct Temporal connection;
 * `integration` is a monitor's key (an Events API acknowledgement), not a person.
 */
export const VERIFICATIONS = ['token', 'ack-link', 'sms', 'voice-keypress', 'chat', 'integration', 'unverified'] as const;
export type Verification = (typeof VERIFICATIONS)[number];
export type VerifiedBy = Exclude<Verification, 'unverified'>;

/**
 * The actions people take on an incident, by the name the policy's `identity.require` uses and the
 * HTTP API serves (`POST /api/v1/incidents/INC-n/<action>`).
 */
export const ACTIONS = [
  'acknowledge',
  'escalate',
  'severity',
  'note',
  'commander',
  'advance',
  'resolve',
  'public-update',
  'impact',
  'attach-runbook',
  'page',
  'approve',
  'reject',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Acts proven outside an incident's updates: declaring one (checked when it opens), submitting its
 * post-mortem (by the review workflow), and the store's requests (action items, on-call overrides).
 */
export const OTHER_PROVEN_ACTS = ['declare', 'submit-postmortem', 'action-item', 'override', 'maintenance', 'swap'] as const;
export type ProvenAct = Action | (typeof OTHER_PROVEN_ACTS)[number];

/** Signed by the HTTP server for one action on one workflow, with these exact arguments, at one time. */
export interface ActorProof {
  /** The policy contact id of the verified person. */
  person: string;
  via: VerifiedBy;
  action: ProvenAct;
  /** The workflow the action is for. */
  workflowId: string;
  /**
   * The incident (INC-n) it is for: an alert group's next incident reuses the workflow id, never the
   * incident id, and continue-as-new keeps it. Empty where there is none yet (declare) or none at all.
   */
  incidentId: string;
  /** SHA-256 (hex) of the arguments' canonical JSON, without `by` and `proof`. */
  digest: string;
  /** When it was signed (ms since the epoch); a proof is good for PROOF_TTL_MS. */
  at: number;
  /** Random: one proof is used once by a workflow. */
  nonce: string;
  /** HMAC-SHA256 (base64url) of the fields above with IDENTITY_SECRET. */
  sig: string;
}

export const PROOF_TTL_MS = 5 * 60_000;

/** What a worker confirms of a proof. */
export interface VerifiedActor {
  person: string;
  name: string;
  via: VerifiedBy;
}

/** The policy's default `identity.require`: what an unverified person may not do. */
export const DEFAULT_IDENTITY_REQUIRE = ['approve', 'reject', 'resolve:P0', 'resolve:P1', 'severity:P0', 'severity:P1', 'public-update'];

/** The policy's default `identity.admins`: who manages other people's API tokens. */
export const DEFAULT_ADMINS = ['role:incident-commander'];

/** The rule of `require` that asks a verified identity for `action` on an incident of `severity`, if any. */
export function identityRule(require: readonly string[], action: Action, severity: string | undefined): string | undefined {
  return require.find((rule) => rule === action || (severity !== undefined && rule === `${action}:${severity}`));
}

/** JSON with sorted keys and no `by` or `proof`: what a proof's digest covers, the same on every side. */
export function canonicalArgs(args: object): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((value as Record<string, unknown>)[k])]),
      );
    return value;
  };
  const { by: _by, proof: _proof, ...rest } = args as Record<string, unknown>;
  return JSON.stringify(sort(rest));
}

/** The line a proof's signature covers. */
export function proofPayload(p: Omit<ActorProof, 'sig'>): string {
  return ['v2', p.person, p.via, p.action, p.workflowId, p.incidentId, p.digest, String(p.at), p.nonce].join('\n');
}

/** A personal API token as listed: never the token itself. */
export interface ApiTokenRecord {
  id: string;
  person: string;
  label: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt?: string;
  revokedAt?: string;
}
