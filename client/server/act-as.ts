/**
 * Acting as a person the HTTP server has verified (API token, Slack signature): the arguments name
 * them, and a proof signed for this action, workflow and arguments lets the worker believe it.
 */
import type { Client } from '@temporalio/client';
import type { Action, VerifiedBy } from '../../contract';
import { signProof } from '../../activities/identity';
import { performAction } from '../actions';

export interface VerifiedPerson {
  id: string;
  name: string;
}

export function actAs<T>(
  deps: { client: Client; identitySecret: string },
  person: VerifiedPerson,
  via: VerifiedBy,
  incidentId: string,
  action: Action,
  rest: Record<string, unknown>,
): Promise<T> {
  // Approvals answer to a contact id (the runbook workflow matches approvers by id); the timeline shows names.
  const args = { ...rest, by: action === 'approve' || action === 'reject' ? person.id : person.name };
  return performAction<T>(deps.client, incidentId, action, args, (workflowId, signed) =>
    signProof(deps.identitySecret, { person: person.id, via, action, workflowId, args: signed }),
  );
}
