/**
 * What the runbook workflow decides, as pure functions of the policy, a step and its result: who may
 * answer an approval, whether an answer fits the step's state, what the incident's timeline is told,
 * and how a step's result or failure reads. No activities, no clock of their own.
 */
import { ErrorType, type RunbookEvent, type RunbookInput, type RunbookSync, type StepResult, type StepRun } from '../../contract';
import { DEFAULT_COMMANDER_ASSIGNERS } from '../../policy/approvals';
import { describeCommand } from '../../policy/runbook-plan';
import { formatDuration } from '../../policy/duration';

export const RUNBOOK = 'runbook';

/** A refusal that names its failure type (the caller throws it as a non-retryable failure). */
export class Refusal {
  constructor(
    readonly message: string,
    readonly type: ErrorType,
  ) {}
}

/**
 * Why `by` may not answer an approval, or undefined when they may. Approvers are always policy
 * contacts; the commander approves only when someone else, who may name commanders, named them verified.
 */
export function approvalRefusal(policy: RunbookInput['policy'], sync: RunbookSync, by: string): string | undefined {
  const rules = policy.runbooks;
  const contacts = policy.contacts;
  const contactOf = (name?: string) => (name ? contacts.find((c) => c.id === name || c.email === name) : undefined);
  const holds = (target: string, c: (typeof contacts)[number]) =>
    target.startsWith('role:') ? c.roles.includes(target.slice(5)) : c.id === target;
  const who = contactOf(by);
  const no = (why: string) => `${by} may not approve runbook steps: ${why}`;
  if (!who) return no('not a contact in the policy');
  if (rules.approvers.length === 0 || rules.approvers.some((t) => t !== 'commander' && holds(t, who))) return undefined;
  const listed = `approvers: ${rules.approvers.join(', ')}`;
  if (!rules.approvers.includes('commander') || contactOf(sync.commander)?.id !== who.id) return no(listed);
  const assigners = rules.commanderAssigners ?? DEFAULT_COMMANDER_ASSIGNERS;
  if (!sync.commanderAssignedById)
    return no(
      `they were named commander by ${sync.commanderAssignedBy ?? 'someone unknown'} without a verified identity, which opens no approval; ${listed}`,
    );
  const namedBy = sync.commanderAssignedById;
  const assigner = contactOf(namedBy);
  if (assigner?.id === who.id) return no('they named themselves commander, and a self-assignment cannot approve');
  if (!assigner || !assigners.some((t) => holds(t, assigner)))
    return no(`they were named commander by ${namedBy}, who may not name commanders (${assigners.join(', ')}); ${listed}`);
  return undefined;
}

/** Whether `by` may approve or reject `run` now; a Refusal when not. */
export function answerRefusal(
  action: 'approve' | 'reject',
  run: StepRun,
  by: string,
  policy: RunbookInput['policy'],
  sync: RunbookSync,
): Refusal | undefined {
  if (action === 'approve' && (run.status !== 'awaiting-approval' || run.approvedBy || run.rejectedBy))
    return new Refusal(`${run.plan.ref} is ${run.status}, not awaiting approval`, ErrorType.InvalidTransition);
  if (action === 'reject' && (!['waiting', 'awaiting-approval', 'running'].includes(run.status) || run.rejectedBy))
    return new Refusal(`${run.plan.ref} is ${run.status}; there is nothing to reject`, ErrorType.InvalidTransition);
  const refused = approvalRefusal(policy, sync, by);
  if (!refused) return undefined;
  return new Refusal(action === 'reject' ? refused.replace('may not approve', 'may not reject') : refused, ErrorType.InvalidTransition);
}

/** The incident hears that a step waits for approval, and the commander is paged with how to answer. */
export function approvalRequest(run: StepRun, incidentId: string): RunbookEvent {
  const command = describeCommand(run.plan);
  return {
    actor: RUNBOOK,
    text: `Approval needed for ${run.plan.ref} (${run.plan.title}) on ${run.plan.host ?? 'the incident'}: ${command}`,
    approval: {
      ref: run.plan.ref,
      subject: `[${incidentId}] Approval needed: ${run.plan.title} (${run.plan.ref})`,
      body: [
        `${incidentId} runbook step ${run.plan.ref} changes something and waits for your approval.`,
        '',
        `It would run on host ${run.plan.host ?? '-'}:`,
        `  ${command}`,
        '',
        `Approve:  incidentctl approve ${incidentId} ${run.plan.ref}`,
        `Reject:   incidentctl reject ${incidentId} ${run.plan.ref} --reason "..."`,
        '',
        `Without an answer by ${run.approvalDeadline} the incident escalates. The step never runs without approval.`,
      ].join('\n'),
    },
  };
}

/** No answer within the approval timeout: the incident escalates one level; the step still waits. */
export function approvalUnanswered(run: StepRun, approvalTimeout: string): RunbookEvent {
  return {
    actor: RUNBOOK,
    warning: true,
    text: `No approval for ${run.plan.ref} within ${approvalTimeout}: escalating; the step still waits and will not run without approval`,
    escalate: `approval of ${run.plan.ref} not given within ${approvalTimeout}`,
  };
}

/** Why a step does not run at all, before any approval: skipped by plan, rejected, or the incident closed. */
export function notRunning(
  run: StepRun,
  closed: boolean,
): { status: StepRun['status']; reason?: string; event?: RunbookEvent } | undefined {
  if (run.plan.skip)
    return {
      status: 'skipped',
      reason: run.plan.skip,
      event: { actor: RUNBOOK, warning: true, text: `Skipped ${run.plan.ref}: ${run.plan.skip}. Nothing was run.` },
    };
  if (run.rejectedBy) return { status: 'rejected' };
  if (closed) return { status: 'skipped', reason: 'the incident was resolved first' };
  return undefined;
}

/** A step's result as its status, and as the incident's timeline reads it. */
export function stepResult(run: StepRun, result: StepResult, evidenceId: number): { status: 'succeeded' | 'failed'; event: RunbookEvent } {
  const status = result.exitCode === 0 && !result.timedOut ? 'succeeded' : 'failed';
  const how = result.timedOut
    ? `timed out after ${formatDuration(run.plan.timeoutMs)}; its process group was killed`
    : result.exitCode === null
      ? `was killed by ${result.signal}`
      : `exited ${result.exitCode}`;
  const ended = result.terminated ? `; ended ${result.terminated.length} sessions (${result.terminated.join(', ') || 'none'})` : '';
  return {
    status,
    event: {
      actor: RUNBOOK,
      warning: status === 'failed',
      // Runbook trouble (a failed step, an offline host) tells the commander once per host, never escalates.
      ...(status === 'failed' ? { trouble: { host: result.host } } : {}),
      text: `${run.plan.ref} ${how} in ${formatDuration(result.durationMs)} on ${result.host}${ended}${result.headline ? `: ${result.headline}` : ''} (evidence #${evidenceId})`,
    },
  };
}

/** A step that could not run: its host offline (no worker took it in time), or the activity failed. */
export function stepFailure(
  run: StepRun,
  failure: { offline: true; hostOfflineAfter: string } | { offline: false; message: string },
): {
  error: string;
  event: RunbookEvent;
} {
  if (failure.offline) {
    const error = `host ${run.plan.host} is offline: no runbook worker took the step within ${failure.hostOfflineAfter}`;
    // Automation trouble is information for the commander, never an escalation.
    return {
      error,
      event: { actor: RUNBOOK, warning: true, text: `${run.plan.ref} not run: ${error}`, trouble: { host: run.plan.host! } },
    };
  }
  return {
    error: failure.message,
    event: {
      actor: RUNBOOK,
      warning: true,
      text: `${run.plan.ref} failed on ${run.plan.host}: ${failure.message}`,
      trouble: { host: run.plan.host ?? '-' },
    },
  };
}
