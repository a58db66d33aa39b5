import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  type ActivityOptions,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { createActivities } from '../activities';
import type { createRunbookActivities } from '../runbook-host/activities';
import type { StepResult } from '../contract';
import { durationMs, formatDuration } from '../policy/duration';
import {
  ErrorType,
  PHASES,
  approveStepUpdate,
  rejectStepUpdate,
  runbookEventSignal,
  runbookStateQuery,
  runbookSyncSignal,
  type ApprovalGrant,
  type ApproveStepArgs,
  type RejectStepArgs,
  type RunbookEvent,
  type RunbookInput,
  type RunbookState,
  type StepRun,
} from '../contract';
import { DEFAULT_COMMANDER_ASSIGNERS } from '../policy/approvals';
import { describeCommand, findStep, planRunbook, runbookHost } from '../policy/runbook-plan';
import { requireName } from './validators';
import { requireIdentity, verifiedActor, type UsedNonce, type VerifyActivity } from './identity';
import { nowIso } from './clock';
import { askPatches, RUNBOOK_PATCHES } from './patches';

type StoreActivities = ReturnType<typeof createActivities>;
type HostActivities = ReturnType<typeof createRunbookActivities>;
const storeOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    nonRetryableErrorTypes: [ErrorType.InvalidInput, ErrorType.NotFound, ErrorType.IdentityRejected],
  },
};
const store = proxyActivities<StoreActivities>(storeOptions);

const RUNBOOK = 'runbook';

/**
 * The runbooks of one incident. Read-only steps run when their phase starts; changing steps wait,
 * durably, for a named approver. Every result goes to the evidence table and the incident's timeline.
 */
export async function runbookWorkflow(input: RunbookInput): Promise<RunbookState> {
  // First, before any activity: which behaviour changes since 1.0 this run has (none yet).
  const _patches = askPatches(RUNBOOK_PATCHES);
  const policy = input.policy.runbooks;
  const state: RunbookState = { incidentId: input.incidentId, sync: input.sync, steps: [], closed: false };
  const scopes = new Map<string, CancellationScope>();
  let version = 0;
  const bump = () => version++;

  // Events reach the incident in order; an incident that has already closed no longer needs them.
  let events: Promise<void> = Promise.resolve();
  const emit = (event: RunbookEvent) => {
    const incident = getExternalWorkflowHandle(input.incidentWorkflowId);
    events = events.then(() => incident.signal(runbookEventSignal, event).catch(() => undefined));
  };

  const find = (ref: string): StepRun => {
    const found = findStep(state.steps, ref, input.incidentId);
    if ('error' in found) throw ApplicationFailure.nonRetryable(found.error, found.type);
    return found.step;
  };

  /** Why `by` may not answer an approval, or undefined when they may. Approvers are always policy contacts. */
  const refusal = (by: string): string | undefined => {
    const contacts = input.policy.contacts;
    const contactOf = (name?: string) => (name ? contacts.find((c) => c.id === name || c.email === name) : undefined);
    const holds = (target: string, c: (typeof contacts)[number]) =>
      target.startsWith('role:') ? c.roles.includes(target.slice(5)) : c.id === target;
    const who = contactOf(by);
    const no = (why: string) => `${by} may not approve runbook steps: ${why}`;
    if (!who) return no('not a contact in the policy');
    if (policy.approvers.length === 0 || policy.approvers.some((t) => t !== 'commander' && holds(t, who))) return undefined;
    const listed = `approvers: ${policy.approvers.join(', ')}`;
    if (!policy.approvers.includes('commander') || contactOf(state.sync.commander)?.id !== who.id) return no(listed);
    // The commander approves only when someone else, who may name commanders, named them, verified.
    const assigners = policy.commanderAssigners ?? DEFAULT_COMMANDER_ASSIGNERS;
    if (!state.sync.commanderAssignedById)
      return no(
        `they were named commander by ${state.sync.commanderAssignedBy ?? 'someone unknown'} without a verified identity, which opens no approval; ${listed}`,
      );
    const namedBy = state.sync.commanderAssignedById;
    const assigner = contactOf(namedBy);
    if (assigner?.id === who.id) return no('they named themselves commander, and a self-assignment cannot approve');
    if (!assigner || !assigners.some((t) => holds(t, assigner)))
      return no(
        `they were named commander by ${namedBy ?? 'someone unknown'}, who may not name commanders (${assigners.join(', ')}); ${listed}`,
      );
    return undefined;
  };

  setHandler(runbookStateQuery, () => state);
  setHandler(runbookSyncSignal, (sync) => {
    state.sync = sync;
    bump();
  });

  // Approvals answer to the verified person (a proof checked by a worker) where the policy asks for one.
  const usedNonces: UsedNonce[] = [];
  const verify: VerifyActivity = (request) =>
    store.verifyActor.executeWithOptions({ ...storeOptions, summary: `Verify who ${request.action}s: ${request.proof.person}` }, [request]);
  /** The approver as verified: a contact id when a proof named them, else the name the caller wrote. */
  const approver = async (action: 'approve' | 'reject', args: ApproveStepArgs | RejectStepArgs) =>
    args.proof ? (await verifiedActor(verify, usedNonces, action, args, input.incidentId)).person! : args.by;
  const checkApproval = (action: 'approve' | 'reject', { step, by }: { step: string; by: string }) => {
    const run = find(step);
    if (action === 'approve' && (run.status !== 'awaiting-approval' || run.approvedBy || run.rejectedBy))
      throw ApplicationFailure.nonRetryable(`${run.plan.ref} is ${run.status}, not awaiting approval`, ErrorType.InvalidTransition);
    if (action === 'reject' && (!['waiting', 'awaiting-approval', 'running'].includes(run.status) || run.rejectedBy))
      throw ApplicationFailure.nonRetryable(`${run.plan.ref} is ${run.status}; there is nothing to reject`, ErrorType.InvalidTransition);
    const refused = refusal(by);
    if (refused)
      throw ApplicationFailure.nonRetryable(
        action === 'reject' ? refused.replace('may not approve', 'may not reject') : refused,
        ErrorType.InvalidTransition,
      );
  };

  const approve = (run: StepRun, by: string, grant?: ApprovalGrant) => {
    run.approvedBy = by;
    run.approvedAt = nowIso();
    // Kept for the host, which checks it itself; a workflow cannot make or alter one.
    if (grant) run.grant = grant;
    emit({ actor: by, text: `Approved ${run.plan.ref} (${run.plan.title})` });
    bump();
    return run;
  };
  setHandler(
    approveStepUpdate,
    (args) => {
      if (!args.proof) return approve(find(args.step), args.by);
      return approver('approve', args).then((by) => {
        checkApproval('approve', { step: args.step, by });
        return approve(find(args.step), by, args.grant);
      });
    },
    {
      validator: (args: ApproveStepArgs) => {
        requireName(args?.by, 'by');
        checkApproval('approve', args);
        requireIdentity(input.policy.identity?.require, 'approve', [], args);
      },
    },
  );

  const reject = (run: StepRun, by: string, reason: string) => {
    run.rejectedBy = by;
    run.reason = reason.trim();
    const killing = run.status === 'running';
    emit({ actor: by, text: `Rejected ${run.plan.ref}: ${run.reason}${killing ? '; stopping its process' : '; it will not run'}` });
    if (killing) scopes.get(run.plan.ref)?.cancel();
    bump();
    return run;
  };
  setHandler(
    rejectStepUpdate,
    (args) => {
      if (!args.proof) return reject(find(args.step), args.by, args.reason);
      return approver('reject', args).then((by) => {
        checkApproval('reject', { step: args.step, by });
        return reject(find(args.step), by, args.reason);
      });
    },
    {
      validator: (args: RejectStepArgs) => {
        requireName(args?.by, 'by');
        if (!args.reason?.trim()) throw ApplicationFailure.nonRetryable('a rejection needs a reason', ErrorType.InvalidInput);
        checkApproval('reject', args);
        requireIdentity(input.policy.identity?.require, 'reject', [], args);
      },
    },
  );

  const hostActivities = (run: StepRun) => {
    const options: ActivityOptions = {
      taskQueue: run.plan.queue,
      // No worker for the host within this time: it is offline, which escalates instead of hanging.
      scheduleToStartTimeout: durationMs(policy.hostOfflineAfter),
      startToCloseTimeout: run.plan.timeoutMs + 30_000,
      heartbeatTimeout: '10s',
      // A step that changes something must never run twice on its own: no automatic retries.
      retry: { maximumAttempts: 1 },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      summary: `${run.plan.ref} on ${run.plan.host}`,
    };
    return proxyActivities<HostActivities>(options);
  };

  const execute = async (run: StepRun): Promise<StepResult> => {
    const acts = hostActivities(run);
    // A host runs only steps of its own policy, named by reference; it builds the command itself.
    return acts.runStep({
      incidentId: input.incidentId,
      runbook: run.plan.runbook,
      step: run.plan.step,
      params: run.plan.params,
      expect: describeCommand(run.plan),
      ...(run.grant ? { approval: run.grant } : {}),
    });
  };

  const awaitApproval = async (run: StepRun): Promise<boolean> => {
    const deadlineMs = Date.now() + durationMs(policy.approvalTimeout);
    run.status = 'awaiting-approval';
    run.requestedAt = nowIso();
    run.approvalDeadline = new Date(deadlineMs).toISOString();
    const id = input.incidentId;
    const command = describeCommand(run.plan);
    emit({
      actor: RUNBOOK,
      text: `Approval needed for ${run.plan.ref} (${run.plan.title}) on ${run.plan.host ?? 'the incident'}: ${command}`,
      approval: {
        ref: run.plan.ref,
        subject: `[${id}] Approval needed: ${run.plan.title} (${run.plan.ref})`,
        body: [
          `${id} runbook step ${run.plan.ref} changes something and waits for your approval.`,
          '',
          `It would run on host ${run.plan.host ?? '-'}:`,
          `  ${command}`,
          '',
          `Approve:  incidentctl approve ${id} ${run.plan.ref}`,
          `Reject:   incidentctl reject ${id} ${run.plan.ref} --reason "..."`,
          '',
          `Without an answer by ${run.approvalDeadline} the incident escalates. The step never runs without approval.`,
        ].join('\n'),
      },
    });
    bump();
    const answered = () => Boolean(run.approvedBy || run.rejectedBy || state.closed);
    const unanswered = () => {
      run.escalated = true;
      emit({
        actor: RUNBOOK,
        warning: true,
        text: `No approval for ${run.plan.ref} within ${policy.approvalTimeout}: escalating; the step still waits and will not run without approval`,
        escalate: `approval of ${run.plan.ref} not given within ${policy.approvalTimeout}`,
      });
      bump();
    };
    if (!(await condition(answered, Math.max(deadlineMs - Date.now(), 1), { summary: `Approval of ${run.plan.ref}` }))) {
      unanswered();
      // Each further approvalTimeout without an answer reaches one level further, up to the last.
      for (let level = 1; level < input.policy.escalation.levels.length; level++) {
        if (await condition(answered, durationMs(policy.approvalTimeout), { summary: `Approval of ${run.plan.ref}, then the next level` }))
          break;
        unanswered();
      }
      await condition(answered);
    }
    if (run.rejectedBy) {
      run.status = 'rejected';
      return false;
    }
    if (state.closed && !run.approvedBy) {
      run.status = 'skipped';
      run.reason = 'the incident was resolved before anyone approved';
      emit({ actor: RUNBOOK, text: `Skipped ${run.plan.ref}: ${run.reason}` });
      return false;
    }
    return true;
  };

  const runStep = async (run: StepRun): Promise<void> => {
    if (run.plan.skip) {
      run.status = 'skipped';
      run.reason = run.plan.skip;
      emit({ actor: RUNBOOK, warning: true, text: `Skipped ${run.plan.ref}: ${run.plan.skip}. Nothing was run.` });
      return;
    }
    if (run.rejectedBy) {
      run.status = 'rejected';
      return;
    }
    if (state.closed) {
      run.status = 'skipped';
      run.reason = 'the incident was resolved first';
      return;
    }
    if (run.plan.approval === 'required' && !(await awaitApproval(run))) return;
    if (run.plan.kind === 'notify') {
      emit({ actor: RUNBOOK, text: `${run.plan.ref}: ${run.plan.notify!.text}`, notify: { ref: run.plan.ref, ...run.plan.notify! } });
      run.status = 'succeeded';
      return;
    }
    run.status = 'running';
    run.startedAt = nowIso();
    bump();
    const scope = new CancellationScope();
    scopes.set(run.plan.ref, scope);
    try {
      const result = await scope.run(() => execute(run));
      const evidenceId = await store.recordEvidence({
        incidentNumber: input.incidentNumber,
        plan: run.plan,
        approvedBy: run.approvedBy,
        result,
      });
      const { stdout: _o, stderr: _e, ...rest } = result;
      run.outcome = { ...rest, evidenceId };
      run.status = result.exitCode === 0 && !result.timedOut ? 'succeeded' : 'failed';
      const how = result.timedOut
        ? `timed out after ${formatDuration(run.plan.timeoutMs)}; its process group was killed`
        : result.exitCode === null
          ? `was killed by ${result.signal}`
          : `exited ${result.exitCode}`;
      const ended = result.terminated ? `; ended ${result.terminated.length} sessions (${result.terminated.join(', ') || 'none'})` : '';
      emit({
        actor: RUNBOOK,
        warning: run.status === 'failed',
        // Runbook trouble (a failed step, an offline host) tells the commander once per host, never escalates.
        ...(run.status === 'failed' ? { trouble: { host: result.host } } : {}),
        text: `${run.plan.ref} ${how} in ${formatDuration(result.durationMs)} on ${result.host}${ended}${result.headline ? `: ${result.headline}` : ''} (evidence #${evidenceId})`,
      });
    } catch (error) {
      if (isCancellation(error) && run.rejectedBy) {
        run.status = 'rejected';
        emit({ actor: run.rejectedBy, text: `${run.plan.ref} stopped: its process was killed on rejection` });
        return;
      }
      if (isCancellation(error)) {
        run.status = 'cancelled';
        throw error;
      }
      run.status = 'failed';
      const cause = error instanceof ActivityFailure ? error.cause : error;
      if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
        run.error = `host ${run.plan.host} is offline: no runbook worker took the step within ${policy.hostOfflineAfter}`;
        // Automation trouble is information for the commander, never an escalation.
        emit({ actor: RUNBOOK, warning: true, text: `${run.plan.ref} not run: ${run.error}`, trouble: { host: run.plan.host! } });
      } else {
        run.error = cause instanceof Error ? cause.message : String(cause);
        emit({
          actor: RUNBOOK,
          warning: true,
          text: `${run.plan.ref} failed on ${run.plan.host}: ${run.error}`,
          trouble: { host: run.plan.host ?? '-' },
        });
      }
    } finally {
      run.finishedAt = nowIso();
      scopes.delete(run.plan.ref);
      bump();
    }
  };

  // One lane per runbook and phase: a step waiting for approval holds back only the steps after it.
  const planned = new Set<string>();
  const lanes = new Map<string, Promise<void>>();
  const defs = new Map(policy.definitions.map((d) => [d.id, d]));
  const startLanes = () => {
    for (const attached of state.sync.attached) {
      const def = defs.get(attached.id);
      if (!def || planned.has(def.id)) continue;
      planned.add(def.id);
      const plans = planRunbook(def, attached.labels, { incidentId: input.incidentId, nowMs: Date.now(), hosts: policy.hosts });
      state.steps.push(...plans.map((plan): StepRun => ({ plan, status: 'waiting' })));
      const approvals = plans.filter((p) => p.approval === 'required').length;
      const route = runbookHost(def, attached.labels, policy.hosts);
      emit({
        actor: RUNBOOK,
        text: `Runbook ${def.id} (${def.title}): ${plans.length} steps, ${approvals} need approval; host ${plans.find((p) => p.host)?.host ?? '-'}${'note' in route && route.note ? ` (${route.note})` : ''}`,
      });
    }
    const reached = PHASES.indexOf(state.sync.phase);
    for (const run of state.steps) {
      const key = `${run.plan.runbook}:${run.plan.phase}`;
      if (PHASES.indexOf(run.plan.phase) > reached || lanes.has(key)) continue;
      const steps = state.steps.filter((s) => s.plan.runbook === run.plan.runbook && s.plan.phase === run.plan.phase);
      lanes.set(
        key,
        (async () => {
          for (const step of steps) await runStep(step);
        })(),
      );
    }
  };

  for (;;) {
    const seen = version;
    startLanes();
    if (state.sync.status === 'resolved') break;
    await condition(() => version !== seen);
  }

  state.closed = true;
  bump();
  await Promise.all(lanes.values());
  await events;
  await condition(allHandlersFinished);
  return state;
}
