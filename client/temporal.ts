import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { ErrorType, searchAttributes, INCIDENT_WORKFLOW_TYPE, type IncidentState } from '../contract';
import type { TemporalConnectionSettings } from '../config/temporal-connection';
import { CliError, ExitCode } from './errors';

export interface ClientSettings extends TemporalConnectionSettings {
  namespace: string;
}

export async function connect(settings: ClientSettings): Promise<Client> {
  try {
    const { namespace: _namespace, ...options } = settings;
    const connection = await Connection.connect({ ...options, connectTimeout: 3000 });
    return new Client({ connection, namespace: settings.namespace });
  } catch (error) {
    throw new CliError(
      `cannot reach the Temporal server at ${settings.address}: ${(error as Error).message}. Is \`npm start\` running?`,
      ExitCode.Unavailable,
    );
  }
}

export interface IncidentRef {
  incidentId: string;
  handle: WorkflowHandle;
  running: boolean;
}

const INCIDENT_ID = /^INC-(\d+)$/i;

/** Finds an incident by its INC id (through visibility) or by its workflow id. */
export async function findIncident(client: Client, id: string): Promise<IncidentRef> {
  const match = INCIDENT_ID.exec(id.trim());
  if (match) {
    const incidentId = `INC-${Number(match[1])}`;
    const query = `${searchAttributes.incidentId.name} = "${incidentId}" AND WorkflowType = "${INCIDENT_WORKFLOW_TYPE}"`;
    for await (const execution of client.workflow.list({ query, pageSize: 1 })) {
      return {
        incidentId,
        handle: client.workflow.getHandle(execution.workflowId, execution.runId),
        running: execution.status.name === 'RUNNING',
      };
    }
    throw new CliError(`no incident ${incidentId}`, ExitCode.NotFound);
  }
  if (!/^[\w.:-]{1,200}$/.test(id)) throw new CliError(`"${id}" is not an incident id (expected e.g. INC-42)`, ExitCode.InvalidInput);
  const handle = client.workflow.getHandle(id);
  try {
    const description = await handle.describe();
    const incidentId = description.typedSearchAttributes.get(searchAttributes.incidentId) ?? id;
    return { incidentId, handle: client.workflow.getHandle(id, description.runId), running: description.status.name === 'RUNNING' };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CliError(`no incident ${id}`, ExitCode.NotFound);
    throw error;
  }
}

export async function readState(ref: IncidentRef): Promise<IncidentState> {
  // A closed incident's final state is its result, readable without a worker.
  if (!ref.running) return (await ref.handle.result()) as IncidentState;
  const state = await ref.handle.query<IncidentState | null>('state');
  if (!state) throw new CliError(`${ref.incidentId} has no state yet`, ExitCode.Unexpected);
  return state;
}

/** Runs an update and turns the workflow's typed rejections into CLI errors with distinct exit codes. */
export async function runUpdate<Ret, Arg>(
  ref: IncidentRef,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  /** Another workflow of the incident, e.g. its runbooks; the incident itself by default. */
  handle: WorkflowHandle = ref.handle,
): Promise<Ret> {
  if (!ref.running)
    throw new CliError(`${ref.incidentId} is resolved and closed; it accepts no changes`, ExitCode.Rejected, ErrorType.IncidentResolved);
  try {
    return await handle.executeUpdate(update, { args: [arg] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const code =
        error.cause.type === ErrorType.InvalidInput
          ? ExitCode.InvalidInput
          : error.cause.type === ErrorType.NotFound
            ? ExitCode.NotFound
            : ExitCode.Rejected;
      throw new CliError(`${ref.incidentId}: ${error.cause.message}`, code, error.cause.type ?? undefined);
    }
    if (error instanceof WorkflowNotFoundError) {
      throw new CliError(`${ref.incidentId} is resolved and closed; it accepts no changes`, ExitCode.Rejected, ErrorType.IncidentResolved);
    }
    throw error;
  }
}

/** Runs one of the short store workflows and returns its result, with typed failures mapped to exit codes. */
export async function runStoreWorkflow<T>(client: Client, workflowType: string, arg: unknown, taskQueue: string): Promise<T> {
  try {
    return (await client.workflow.execute(workflowType, {
      taskQueue,
      workflowId: `${workflowType}-${randomUUID()}`,
      args: [arg],
      workflowExecutionTimeout: '1 minute',
    })) as T;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      let cause: unknown = error.cause;
      while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
      if (cause instanceof ApplicationFailure) {
        const code =
          cause.type === ErrorType.NotFound
            ? ExitCode.NotFound
            : cause.type === ErrorType.InvalidInput
              ? ExitCode.InvalidInput
              : ExitCode.Rejected;
        throw new CliError(cause.message, code, cause.type ?? undefined);
      }
    }
    throw error;
  }
}
