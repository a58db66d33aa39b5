/** Submitting a post-mortem to its review workflow (incidentctl directly, or the HTTP API as a verified person). */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ErrorType,
  formatIncidentId,
  parseIncidentId,
  reviewWorkflowId,
  stateQuery,
  submitPostMortemUpdate,
  type ActorProof,
  type ReviewState,
} from '../contract';
import { IncidentError, kindOf } from './failures';
import { findIncident } from './temporal';
import { executeUpdateRetrying } from './transient';

/** INC-42 from "inc-42" or "42"; refused with a clear error otherwise. */
export function reviewIncidentId(id: string): string {
  const number = parseIncidentId(id);
  if (number === undefined) throw new IncidentError(`"${id}" is not an incident id (expected e.g. INC-42)`, ErrorType.InvalidInput);
  return formatIncidentId(number);
}

/**
 * The review's handle and whether it still waits for its post-mortem; NotFound before the incident resolved.
 * An incident resolved a moment ago opens its review as its workflow finishes: that is waited for.
 */
export async function openReview(client: Client, incidentId: string) {
  const handle = client.workflow.getHandle(reviewWorkflowId(incidentId));
  const describe = async () => {
    try {
      return (await handle.describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  };
  let running = await describe();
  if (running === undefined) {
    const incident = await findIncident(client, incidentId).catch(() => undefined);
    const state = incident?.running ? await incident.handle.query(stateQuery).catch(() => null) : null;
    if (incident && state?.status === 'resolved') {
      await client.withDeadline(Date.now() + 10_000, () => incident.handle.result()).catch(() => undefined);
      running = await describe();
    }
  }
  if (running === undefined)
    throw new IncidentError(`no post-incident review for ${incidentId}; reviews open when an incident is resolved`, ErrorType.NotFound);
  return { handle, running };
}

/** Submits `markdown` as `by` (with `prove`, as the proof's person; the review has a worker check it). */
export async function submitPostMortem(
  client: Client,
  incidentId: string,
  args: { by: string; markdown: string },
  prove?: (target: { workflowId: string; incidentId: string }) => ActorProof,
): Promise<ReviewState> {
  const { handle, running } = await openReview(client, incidentId);
  if (!running) throw new IncidentError(`the post-mortem of ${incidentId} was already submitted`, ErrorType.AlreadySubmitted);
  const proof = prove?.({ workflowId: handle.workflowId, incidentId });
  return executeUpdateRetrying(handle, submitPostMortemUpdate, [proof ? { ...args, proof } : args]).catch((error: unknown) => {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      throw new IncidentError(`${incidentId}: ${error.cause.message}`, kindOf(error.cause.type));
    throw error;
  });
}
