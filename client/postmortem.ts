/** Submitting a post-mortem to its review workflow (incidentctl directly, or the HTTP API as a verified person). */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ErrorType,
  formatIncidentId,
  parseIncidentId,
  reviewWorkflowId,
  submitPostMortemUpdate,
  type ActorProof,
  type ReviewState,
} from '../contract';
import { IncidentError, kindOf } from './failures';

/** INC-42 from "inc-42" or "42"; refused with a clear error otherwise. */
export function reviewIncidentId(id: string): string {
  const number = parseIncidentId(id);
  if (number === undefined) throw new IncidentError(`"${id}" is not an incident id (expected e.g. INC-42)`, ErrorType.InvalidInput);
  return formatIncidentId(number);
}

/** The review's handle and whether it still waits for its post-mortem; NotFound before the incident resolved. */
export async function openReview(client: Client, incidentId: string) {
  const handle = client.workflow.getHandle(reviewWorkflowId(incidentId));
  const running = await handle.describe().then(
    (d) => d.status.name === 'RUNNING',
    (error: unknown) => {
      if (error instanceof WorkflowNotFoundError)
        throw new IncidentError(`no post-incident review for ${incidentId}; reviews open when an incident is resolved`, ErrorType.NotFound);
      throw error;
    },
  );
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
  return handle.executeUpdate(submitPostMortemUpdate, { args: [proof ? { ...args, proof } : args] }).catch((error: unknown) => {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      throw new IncidentError(`${incidentId}: ${error.cause.message}`, kindOf(error.cause.type));
    throw error;
  });
}
