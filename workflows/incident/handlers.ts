/**
 * Wiring only: each message's validator (reject with a reason, nothing changes) and its transition.
 * Registered before the workflow's first await, so no early message is lost.
 */
import { setHandler, upsertMemo } from '@temporalio/workflow';
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
  type IncidentState,
  type PublicUpdateArgs,
  type ResolveArgs,
  type SetImpactArgs,
} from '../../contract';
import { PATCHES } from '../patches';
import {
  validateAcknowledge,
  validateAddNote,
  validateAdvancePhase,
  validateAssignCommander,
  validateAttachRunbook,
  validateChangeSeverity,
  validateEscalate,
  validatePublicUpdate,
  validateResolve,
  validateSetImpact,
} from '../validators';
import { acts, withSummary } from './activity-proxies';
import { flush } from './persistence';
import { planDeadlines } from './deadlines';
import type { Effects } from './paging';
import * as t from './transitions';

/** The state with its deadlines worked out now; a copy, so answering a query changes nothing. */
export function snapshot(fx: Effects): IncidentState {
  const { state } = fx.m;
  return state.number ? { ...state, deadlines: planDeadlines(fx.m).deadlines } : state;
}

export function registerHandlers(fx: Effects): void {
  const { m } = fx;
  const reply = () => snapshot(fx);
  setHandler(stateQuery, reply);

  setHandler(
    acknowledgeUpdate,
    async (args) => {
      t.acknowledge(m, args, fx.now());
      // In the store before the person hears "acknowledged": pages still in flight then stand down.
      if (fx.patched(PATCHES.ackRecordedInStore) && m.state.number) {
        // Page-first incidents sync the whole incident (its row carries the acknowledgement) at once.
        if (m.pageFirst) await flush(fx);
        else
          await acts.recordAcknowledgement.executeWithOptions(withSummary(`Record the acknowledgement by ${args.by}`), [
            { incidentNumber: m.state.number, by: args.by, at: m.state.acknowledgedAt! },
          ]);
      }
      return reply();
    },
    { validator: (args: AcknowledgeArgs) => validateAcknowledge(m.state, args) },
  );
  setHandler(escalateUpdate, (args) => (t.escalate(m, args, fx.now()), reply()), {
    validator: (args: EscalateArgs) => validateEscalate(m.state, args, t.nextManualLevel(m)),
  });
  setHandler(changeSeverityUpdate, (args) => (t.changeSeverity(m, args, fx.now()), reply()), {
    validator: (args: ChangeSeverityArgs) => validateChangeSeverity(m.state, args),
  });
  setHandler(addNoteUpdate, (args) => (t.addNote(m, args, fx.now()), reply()), {
    validator: (args: AddNoteArgs) => validateAddNote(m.state, args),
  });
  setHandler(assignCommanderUpdate, (args) => (t.assignCommander(m, args, fx.now()), reply()), {
    validator: (args: AssignCommanderArgs) => validateAssignCommander(m.state, args),
  });
  setHandler(advancePhaseUpdate, (args) => (t.advancePhase(m, args, fx.now()), reply()), {
    validator: (args: AdvancePhaseArgs) => validateAdvancePhase(m.state, args),
  });
  setHandler(resolveUpdate, (args) => (t.resolve(m, args, fx.now()), reply()), {
    validator: (args: ResolveArgs) => validateResolve(m.state, args),
  });
  setHandler(
    postPublicUpdate,
    (args) => {
      // The status page reads visibility only (no query, so no worker needed): public updates ride in the memo.
      const latest = t.postPublicUpdate(m, args, fx.now());
      upsertMemo({ publicUpdates: latest });
      return reply();
    },
    { validator: (args: PublicUpdateArgs) => validatePublicUpdate(m.state, args) },
  );
  setHandler(setImpactUpdate, (args) => (t.setImpact(m, args, fx.now()), reply()), {
    validator: (args: SetImpactArgs) => validateSetImpact(m.state, args),
  });

  // ---- runbooks: attached by alert match or by hand, run by the incident's runbook workflow ----
  setHandler(attachRunbookUpdate, ({ by, runbook }) => (t.attachRunbook(m, runbook, t.runbookLabels(m, runbook), by, fx.now()), reply()), {
    validator: (args: AttachRunbookArgs) => validateAttachRunbook(m.state, m.policy, m.book.runbooks?.attached ?? [], args),
  });
  setHandler(runbookPlanQuery, (id: string) => {
    const def = m.policy.runbooks?.definitions.find((d) => d.id === id);
    if (!def) throw new Error(`no runbook "${id}"; runbooks: ${(m.policy.runbooks?.definitions ?? []).map((d) => d.id).join(', ')}`);
    return planRunbook(def, t.runbookLabels(m, id), { incidentId: m.state.incidentId, nowMs: fx.now() });
  });
  setHandler(runbookEventSignal, (event) => t.applyRunbookEvent(m, event, fx.now(), () => fx.patched(PATCHES.approvalEscalationCapped)));
  setHandler(alertsSignal, (batch) => t.queueAlertBatch(m, batch));
}
