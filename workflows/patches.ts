/**
 * Every patch id the workflows ask `patched()` about, as named constants, in the order they were added
 * (`git log -S` on an id gives its commit). A patch guards a behaviour change under incidents already
 * running; its id is in their histories, so it never changes. Once no open incident or saved history
 * predates a patch, its `patched()` call can become `deprecatePatch()` for a release and then go, with
 * the saved histories recaptured.
 */
export const PATCHES = {
  /** "the on-call engineer" is asked of the store (overrides) at the moment of paging. */
  oncallOverrides: 'oncall-overrides',
  /** resolution starts the post-incident review workflow. */
  postIncidentReview: 'post-incident-review',
  /** an acknowledgement is in the store before it is confirmed (pages in flight stand down). */
  ackRecordedInStore: 'ack-recorded-in-store',
  /** runbooks attach by alert match and run in their own child workflow. */
  runbooks: 'runbooks',
  /** runbook follow-ups become action items before the review drafts its post-mortem. */
  runbookFollowUps: 'runbook-follow-ups',
  /** a policy in the workflow input is checked as the worker checks its own file. */
  inputPolicyChecked: 'input-policy-checked',
  /** the runbook workflow is told who named the commander (approval rules). */
  commanderAssignerInSync: 'commander-assigner-in-sync',
  /** after a gap, each overdue level is paged once, in level order. */
  escalationCatchUp: 'escalation-catch-up',
  /** declared when the workflow started (the alert arrived), not when a worker first ran it. */
  declaredAtWorkflowStart: 'declared-at-workflow-start',
  /** an approval that escalates past the last level is noted, not paged again. */
  approvalEscalationCapped: 'approval-escalation-capped',
  /**
   * pages first and the history halved: policy, registration, on-call and store syncs as local
   * activities; a page's channels at once; notifications on their own lane; runbooks after the page;
   * one timer per deadline; the runbook child gets only its part of the policy.
   */
  pageFirst: 'page-first',
  /**
   * the public status page: a user-facing P0/P1 with no public update within statusPage.updateWithin (the
   * plan's 15 min) pages the communications lead once and is a breach; each public update is emailed to
   * confirmed subscribers. Asked only by page-first runs, with patched() itself: page-first implies only
   * the patches before it.
   */
  publicStatusPage: 'public-status-page',
  /**
   * an incident that resolved on its own (its alerts cleared, alertmanager.autoResolve) opens no review
   * unless review.autoResolved says so. Asked with patched() itself, only for such incidents.
   */
  reviewOptionalWhenAutoResolved: 'review-optional-when-auto-resolved',
  /**
   * who must be verified (identity.require) is the worker's rule, never the input policy's: whoever can
   * start a workflow could otherwise give their incident an empty list. Asked when a policy came in the input.
   */
  workerIdentityRules: 'worker-identity-rules',
  /**
   * Slack: a chat lane mirrors the incident (channel or #incidents thread, pinned summary, page with
   * buttons, events, the plan's channels) and the review archives the channel. Asked by every new
   * page-first run before its first activity; chat then needs the worker to have Slack (openIncident
   * says so) and the policy a `slack` section.
   */
  slackChat: 'slack-chat',
  /**
   * runbook approvals: a commander counts as an approver only when the person who named them was
   * verified (`commanderAssignedById`); an assignment written by `--as` opens no gate. Asked by the
   * runbook workflow at its start.
   */
  verifiedCommanderAssigner: 'verified-commander-assigner',
  /**
   * worker-identity-rules, decided before the first activity: a new page-first run keeps the worker's
   * identity rules without asking worker-identity-rules after openIncident's local activity, which SDK
   * 1.24 fails to replay when that activity resolved in a later workflow task. Runs from before still ask it.
   */
  identityRulesFirst: 'identity-rules-first',
} as const;

/** The runbook workflow's patch ids. */
export const RUNBOOK_PATCHES = {
  /** Runbook trouble (a failed step, an offline host) informs the commander instead of escalating. */
  troubleInforms: 'runbook-trouble-informs',
  /** Hosts run steps by reference (runbook, step, parameters) from their own policy. */
  stepByReference: 'runbook-step-by-reference',
  /** An unanswered approval escalates one level per reminder. */
  approvalEscalatesPerLevel: 'approval-escalates-per-level',
} as const;
