/**
 * People's actions on an incident, by the names the policy (`identity.require`) and the HTTP API use:
 * which update each is and which workflow takes it. The CLI (directly over Temporal) and the API (as a
 * token's person, with a signed proof) both act through `performAction`.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  advancePhaseUpdate,
  approveStepUpdate,
  assignCommanderUpdate,
  attachRunbookUpdate,
  changeSeverityUpdate,
  escalateUpdate,
  pageRespondersUpdate,
  postPublicUpdate,
  rejectStepUpdate,
  resolveUpdate,
  setImpactUpdate,
  type Action,
  type ActorArgs,
  type ActorProof,
} from '../contract';
import { findIncident, findRunbooks, runUpdate } from './temporal';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

export const ACTION_UPDATES: Record<Action, { update: AnyUpdate; on: 'incident' | 'runbooks' }> = {
  acknowledge: { update: acknowledgeUpdate, on: 'incident' },
  escalate: { update: escalateUpdate, on: 'incident' },
  page: { update: pageRespondersUpdate, on: 'incident' },
  severity: { update: changeSeverityUpdate, on: 'incident' },
  note: { update: addNoteUpdate, on: 'incident' },
  commander: { update: assignCommanderUpdate, on: 'incident' },
  advance: { update: advancePhaseUpdate, on: 'incident' },
  resolve: { update: resolveUpdate, on: 'incident' },
  'public-update': { update: postPublicUpdate, on: 'incident' },
  impact: { update: setImpactUpdate, on: 'incident' },
  'attach-runbook': { update: attachRunbookUpdate, on: 'incident' },
  approve: { update: approveStepUpdate, on: 'runbooks' },
  reject: { update: rejectStepUpdate, on: 'runbooks' },
};

/**
 * Runs `action` on incident `id`. `sign`, when given, proves who acts for the workflow that takes it;
 * `complete` adds what the verified path signs besides (an approval grant for the runbook host).
 */
export async function performAction<T>(
  client: Client,
  id: string,
  action: Action,
  args: ActorArgs & Record<string, unknown>,
  sign?: (target: { workflowId: string; incidentId: string }, args: object) => ActorProof,
  complete?: (target: { handle: WorkflowHandle; runId: string; incidentId: string }) => Promise<Record<string, unknown>>,
): Promise<T> {
  const spec = ACTION_UPDATES[action];
  const ref = await findIncident(client, id);
  const target = spec.on === 'runbooks' ? await findRunbooks(client, ref) : { handle: ref.handle, runId: '' };
  const full = complete
    ? { ...args, ...(await complete({ handle: target.handle, runId: target.runId, incidentId: ref.incidentId })) }
    : args;
  const proof = sign?.({ workflowId: target.handle.workflowId, incidentId: ref.incidentId }, full);
  return (await runUpdate(ref, spec.update, proof ? { ...full, proof } : full, target.handle)) as T;
}
