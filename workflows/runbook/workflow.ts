/**
 * The runbook workflow: the runbooks of one incident. Read-only steps run when their phase starts;
 * changing steps wait, durably, for a verified approver. Every result goes to the evidence table and the
 * incident's timeline. Decisions live in decisions.ts (pure), effects in effects.ts; this file wires
 * the handlers, the lanes (one per runbook and phase) and the loop.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { durationMs } from '../../policy/duration';
import {
  ErrorType,
  PHASES,
  approveStepUpdate,
  rejectStepUpdate,
  runbookStateQuery,
  runbookSyncSignal,
  type ApprovalGrant,
  type ApproveStepArgs,
  type RejectStepArgs,
  type RunbookInput,
  type RunbookState,
  type StepRun,
} from '../../contract';
import { findStep, planRunbook, runbookHost } from '../../policy/runbook-plan';
import { requireName } from '../validators';
import { requireIdentity, verifiedActor, type UsedNonce, type VerifyActivity } from '../identity';
import { nowIso } from '../clock';
import { askPatches, RUNBOOK_PATCHES } from '../patches';
import { RUNBOOK, answerRefusal, approvalRequest, approvalUnanswered, notRunning, stepFailure, stepResult } from './decisions';
import { incidentEvents, runOnHost, store, storeOptions } from './effects';

export async function runbookWorkflow(input: RunbookInput): Promise<RunbookState> {
  // First, before any activity: which behaviour changes since 1.0 this run has (none yet).
  const _patches = askPatches(RUNBOOK_PATCHES);
  const policy = input.policy.runbooks;
  const state: RunbookState = { incidentId: input.incidentId, sync: input.sync, steps: [], closed: false };
  const scopes = new Map<string, CancellationScope>();
  let version = 0;
  const bump = () => version++;
  const { emit, drained } = incidentEvents(input.incidentWorkflowId);

  const find = (ref: string): StepRun => {
    const found = findStep(state.steps, ref, input.incidentId);
    if ('error' in found) throw ApplicationFailure.nonRetryable(found.error, found.type);
    return found.step;
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
  const checkAnswer = (action: 'approve' | 'reject', { step, by }: { step: string; by: string }) => {
    const refused = answerRefusal(action, find(step), by, input.policy, state.sync);
    if (refused) throw ApplicationFailure.nonRetryable(refused.message, refused.type);
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
        checkAnswer('approve', { step: args.step, by });
        return approve(find(args.step), by, args.grant);
      });
    },
    {
      validator: (args: ApproveStepArgs) => {
        requireName(args?.by, 'by');
        checkAnswer('approve', args);
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
        checkAnswer('reject', { step: args.step, by });
        return reject(find(args.step), by, args.reason);
      });
    },
    {
      validator: (args: RejectStepArgs) => {
        requireName(args?.by, 'by');
        if (!args.reason?.trim()) throw ApplicationFailure.nonRetryable('a rejection needs a reason', ErrorType.InvalidInput);
        checkAnswer('reject', args);
        requireIdentity(input.policy.identity?.require, 'reject', [], args);
      },
    },
  );

  /** Waits for an answer, escalating one level per approvalTimeout; true when the step may run. */
  const awaitApproval = async (run: StepRun): Promise<boolean> => {
    const deadlineMs = Date.now() + durationMs(policy.approvalTimeout);
    run.status = 'awaiting-approval';
    run.requestedAt = nowIso();
    run.approvalDeadline = new Date(deadlineMs).toISOString();
    emit(approvalRequest(run, input.incidentId));
    bump();
    const answered = () => Boolean(run.approvedBy || run.rejectedBy || state.closed);
    const unanswered = () => {
      run.escalated = true;
      emit(approvalUnanswered(run, policy.approvalTimeout));
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
    const skipped = notRunning(run, state.closed);
    if (skipped) {
      run.status = skipped.status;
      if (skipped.reason) run.reason = skipped.reason;
      if (skipped.event) emit(skipped.event);
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
      const result = await scope.run(() => runOnHost(run, input.incidentId, policy.hostOfflineAfter));
      const evidenceId = await store.recordEvidence({
        incidentNumber: input.incidentNumber,
        plan: run.plan,
        approvedBy: run.approvedBy,
        result,
      });
      const { stdout: _o, stderr: _e, ...rest } = result;
      run.outcome = { ...rest, evidenceId };
      const read = stepResult(run, result, evidenceId);
      run.status = read.status;
      emit(read.event);
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
      const offline = cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
      const failed = stepFailure(
        run,
        offline
          ? { offline: true, hostOfflineAfter: policy.hostOfflineAfter }
          : { offline: false, message: cause instanceof Error ? cause.message : String(cause) },
      );
      run.error = failed.error;
      emit(failed.event);
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
  await drained();
  await condition(allHandlersFinished);
  return state;
}
