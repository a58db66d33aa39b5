/**
 * Acting as a person the HTTP server has verified (API token, Slack signature): the arguments name
 * them, and a proof signed for this action, workflow and arguments lets the worker believe it.
 */
import type { KeyObject } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { declaredArgs, runbookStateQuery, type Action, type IncidentInput, type VerifiedBy } from '../contract';
import { findStep } from '../policy/runbook-plan';
import { signGrant } from '../security/approval-grant';
import { IncidentError } from '../client/failures';
import { signProof } from '../security/identity';
import { performAction } from '../client/actions';
import { declareIncident } from '../client/declare';

export interface VerifiedPerson {
  id: string;
  name: string;
}

export function actAs<T>(
  deps: { client: Client; identitySecret: string; approvalKey?: KeyObject },
  person: VerifiedPerson,
  via: VerifiedBy,
  incidentId: string,
  action: Action,
  rest: Record<string, unknown>,
): Promise<T> {
  // Approvals answer to a contact id (the runbook workflow matches approvers by id); the timeline shows names.
  const args = { ...rest, by: action === 'approve' || action === 'reject' ? person.id : person.name };
  // An approval is also signed for the runbook host, which checks it itself before running the step.
  const grant =
    action === 'approve' && deps.approvalKey
      ? async (target: { handle: WorkflowHandle; runId: string; incidentId: string }) => {
          const state = await target.handle.query(runbookStateQuery);
          const found = findStep(state.steps, typeof rest.step === 'string' ? rest.step : '', target.incidentId);
          if ('error' in found) throw new IncidentError(found.error, found.type);
          return {
            grant: signGrant(deps.approvalKey!, {
              workflowId: target.handle.workflowId,
              runId: target.runId,
              incidentId: target.incidentId,
              step: found.step.plan.ref,
              params: found.step.plan.params ?? {},
              approver: person.id,
              via,
            }),
          };
        }
      : undefined;
  return performAction<T>(
    deps.client,
    incidentId,
    action,
    args,
    (target, signed) => signProof(deps.identitySecret, { person: person.id, via, action, ...target, args: signed }),
    grant,
  );
}

/** Declares an incident as a verified person: the workflow checks the proof when it opens. Returns its INC id. */
export async function declareAs(
  deps: { client: Client; identitySecret: string; taskQueue: string },
  person: VerifiedPerson,
  via: VerifiedBy,
  asked: Pick<IncidentInput, 'title' | 'severity' | 'service' | 'commander' | 'team'>,
): Promise<{ incidentId: string; workflowId: string }> {
  const input: IncidentInput = { ...declaredArgs(asked), source: 'manual', declaredBy: person.name };
  return declareIncident(deps.client, deps.taskQueue, input, (workflowId) =>
    signProof(deps.identitySecret, { person: person.id, via, action: 'declare', workflowId, incidentId: '', args: declaredArgs(asked) }),
  );
}
