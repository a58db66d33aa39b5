/**
 * A workflow started together with an update that answers once a worker has done its first step
 * (update-with-start): one round trip. Started but unanswered in time means no worker is serving the
 * task queue: said as such, since the workflow exists and runs once one does.
 */
import { WorkflowUpdateFailedError, type Client, type WithStartWorkflowOperation } from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { IncidentError, kindOf } from './failures';

export async function startWithUpdate<T>(
  client: Client,
  update: UpdateDefinition<T, []>,
  startWorkflowOperation: WithStartWorkflowOperation<Workflow>,
  what: string,
  withinMs: number,
): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + withinMs, () =>
      client.workflow.executeUpdateWithStart(update, { startWorkflowOperation }),
    );
  } catch (error) {
    // An update that failed is the workflow's own answer (a refusal of its kind); anything else is silence.
    if (error instanceof WorkflowUpdateFailedError)
      throw error.cause instanceof ApplicationFailure ? new IncidentError(error.cause.message, kindOf(error.cause.type)) : error;
    const started = await startWorkflowOperation.workflowHandle().then(
      () => true,
      () => false,
    );
    if (started)
      throw new IncidentError(
        `${what} started, but no worker answered within ${withinMs / 1000} s; is the worker running on task queue "${startWorkflowOperation.options.taskQueue}"?`,
        'Unavailable',
      );
    throw error;
  }
}
