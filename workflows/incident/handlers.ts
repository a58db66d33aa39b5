/**
 * Wiring only: each message's validator (reject with a reason, nothing changes) and its transition.
 * Registered before the workflow's first await, so no early message is lost.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { condition, setHandler, upsertMemo } from '@temporalio/workflow';
import { planRunbook } from '../../policy/runbook-plan';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  advancePhaseUpdate,
  alertsSignal,
  assignCommanderUpdate,
  attachRunbookUpdate,
  changeSeverityUpdate,
  escalateUpdate,
  pageRespondersUpdate,
  postPublicUpdate,
  resolveUpdate,
  runbookEventSignal,
  runbookPlanQuery,
  setImpactUpdate,
  stateQuery,
  type AcknowledgeArgs,
  type AddNoteArgs,
  type AdvancePhaseArgs,
  type AssignCommanderArgs,
  type AttachRunbookArgs,
  type ChangeSeverityArgs,
  type EscalateArgs,
  type PageRespondersArgs,
  type IncidentState,
  type PublicUpdateArgs,
  type ResolveArgs,
  type SetImpactArgs,
  type Action,
  type ActorArgs,
  type Verification,
  registeredUpdate,
} from '../../contract';
import { requireIdentity, verifiedActor, type VerifyActivity } from '../identity';
import {
  validateAcknowledge,
  validateAddNote,
  validateAdvancePhase,
  validateAssignCommander,
  validateAttachRunbook,
  validateChangeSeverity,
  validateEscalate,
  validatePageResponders,
  validatePublicUpdate,
  validateResolve,
  validateSetImpact,
} from '../validators';
import { oneLocalAtATime, withLocalSummary } from './activity-proxies';
import { flush } from './persistence';
import { planDeadlines } from './deadlines';
import type { Effects } from './paging';
import * as t from './transitions';
import { queueNotice } from './state';

/** The state with its deadlines worked out now; a copy, so answering a query changes nothing. */
export function snapshot(fx: Effects): IncidentState {
  const { state } = fx.m;
  return state.number ? { ...state, deadlines: planDeadlines(fx.m).deadlines } : state;
}

export function registerHandlers(fx: Effects): void {
  const { m } = fx;
  const reply = () => snapshot(fx);
  setHandler(stateQuery, reply);
  setHandler(registeredUpdate, async () => {
    await condition(() => m.state.number > 0);
    return { incidentId: m.state.incidentId, number: m.state.number };
  });

  const verify: VerifyActivity = (input) =>
    oneLocalAtATime(m, (local) =>
      local.verifyActor.executeWithOptions(withLocalSummary(`Verify who ${input.action}s: ${input.proof.person}`), [input]),
    );
  /**
   * A person's action: refused unverified where the policy asks for a verified person; with a proof,
   * checked by a worker first and then done as the person it names (validated again: the state may
   * have moved meanwhile). Without one, applied at once as before, recorded "unverified".
   */
  const person = <A extends ActorArgs>(
    action: Action,
    validate: (args: A) => void,
    apply: (args: A) => IncidentState | Promise<IncidentState>,
    severities: (args: A) => (string | undefined)[] = () => [m.state.severity],
  ) => {
    const run = (args: A, via: Verification, personId?: string) => {
      m.acting = via;
      m.actingPerson = personId;
      try {
        return apply(args);
      } finally {
        m.acting = undefined;
        m.actingPerson = undefined;
      }
    };
    return {
      handler: (args: A): IncidentState | Promise<IncidentState> => {
        if (!args.proof) return run(args, 'unverified');
        return verifiedActor(verify, m.usedNonces, action, args, m.state.incidentId).then((actor) => {
          const verified = { ...args, by: actor.name };
          validate(verified);
          return run(verified, actor.via, actor.person);
        });
      },
      validator: (args: A) => {
        validate(args);
        requireIdentity(m.policy.identity?.require, action, severities(args), args);
      },
    };
  };
  const register = <A extends ActorArgs>(update: UpdateDefinition<IncidentState, [A]>, p: ReturnType<typeof person<A>>) =>
    setHandler(update, p.handler, { validator: p.validator });

  register(
    acknowledgeUpdate,
    person<AcknowledgeArgs>(
      'acknowledge',
      (args) => validateAcknowledge(m.state, args),
      async (args) => {
        t.acknowledge(m, args, fx.now());
        // In the store before the person hears "acknowledged": pages still in flight then stand down.
        // The whole incident is synced at once: its row carries the acknowledgement.
        if (m.state.number) await flush(fx);
        return reply();
      },
    ),
  );
  register(
    escalateUpdate,
    person<EscalateArgs>(
      'escalate',
      (args) => validateEscalate(m.state, args, t.nextManualLevel(m)),
      (args) => (t.escalate(m, args, fx.now()), reply()),
    ),
  );
  register(
    pageRespondersUpdate,
    person<PageRespondersArgs>(
      'page',
      (args) => validatePageResponders(m.state, m.policy, args),
      (args) => (t.pageResponders(m, args, fx.now()), reply()),
    ),
  );
  register(
    changeSeverityUpdate,
    person<ChangeSeverityArgs>(
      'severity',
      (args) => validateChangeSeverity(m.state, args),
      (args) => (t.changeSeverity(m, args, fx.now()), reply()),
      // Raising an incident to P1 needs what changing a P1 needs.
      (args) => [m.state.severity, args?.severity],
    ),
  );
  register(
    addNoteUpdate,
    person<AddNoteArgs>(
      'note',
      (args) => validateAddNote(m.state, args),
      (args) => (t.addNote(m, args, fx.now()), reply()),
    ),
  );
  register(
    assignCommanderUpdate,
    person<AssignCommanderArgs>(
      'commander',
      (args) => validateAssignCommander(m.state, args, m.policy.contacts),
      (args) => (t.assignCommander(m, args, fx.now()), reply()),
    ),
  );
  register(
    advancePhaseUpdate,
    person<AdvancePhaseArgs>(
      'advance',
      (args) => validateAdvancePhase(m.state, args),
      (args) => (t.advancePhase(m, args, fx.now()), reply()),
    ),
  );
  register(
    resolveUpdate,
    person<ResolveArgs>(
      'resolve',
      (args) => validateResolve(m.state, args),
      (args) => (t.resolve(m, args, fx.now()), reply()),
    ),
  );
  register(
    postPublicUpdate,
    person<PublicUpdateArgs>(
      'public-update',
      (args) =>
        validatePublicUpdate(
          m.state,
          args,
          (m.policy.statusPage?.components ?? []).map((c) => c.id),
        ),
      (args) => {
        // The status page reads visibility only (no query, so no worker needed): public updates ride in the memo.
        upsertMemo({ ...t.postPublicUpdate(m, args, fx.now()) });
        // Subscribers hear of each public update (incidents started with the public status page rules).
        queueNotice(m, { type: 'public-update', n: m.state.publicUpdates!.length });
        return reply();
      },
    ),
  );
  register(
    setImpactUpdate,
    person<SetImpactArgs>(
      'impact',
      (args) => validateSetImpact(m.state, args),
      (args) => (t.setImpact(m, args, fx.now()), reply()),
    ),
  );

  // ---- runbooks: attached by alert match or by hand, run by the incident's runbook workflow ----
  register(
    attachRunbookUpdate,
    person<AttachRunbookArgs>(
      'attach-runbook',
      (args) => validateAttachRunbook(m.state, m.policy, m.book.runbooks?.attached ?? [], args),
      ({ by, runbook }) => (t.attachRunbook(m, runbook, t.runbookLabels(m, runbook), by, fx.now()), reply()),
    ),
  );
  setHandler(runbookPlanQuery, (id: string) => {
    const def = m.policy.runbooks?.definitions.find((d) => d.id === id);
    if (!def) throw new Error(`no runbook "${id}"; runbooks: ${(m.policy.runbooks?.definitions ?? []).map((d) => d.id).join(', ')}`);
    return planRunbook(def, t.runbookLabels(m, id), { incidentId: m.state.incidentId, nowMs: fx.now() });
  });
  setHandler(runbookEventSignal, (event) => t.applyRunbookEvent(m, event, fx.now()));
  setHandler(alertsSignal, (batch) => t.queueAlertBatch(m, batch));
}
