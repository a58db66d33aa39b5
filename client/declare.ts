/**
 * Declaring an incident by hand (incidentctl declare, /incident declare): the workflow with a readable
 * id, its Web UI summary and search attributes, and the INC number once a worker has registered it.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  INCIDENT_WORKFLOW_TYPE,
  incidentStartMetadata,
  searchAttributes,
  stateQuery,
  type ActorProof,
  type IncidentInput,
} from '../contract';
import { z } from 'zod';
import { SEVERITIES } from '../contract';
import { IncidentError } from './failures';

/** What a person asks for when declaring (the CLI's options, the API's body). */
export const declareRequest = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(200),
  severity: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(SEVERITIES, { message: 'must be one of P0, P1, P2, P3' })),
  service: z.string().trim().min(1, 'must not be empty').max(100),
  commander: z.string().trim().min(1).optional(),
});
export type DeclareRequest = z.infer<typeof declareRequest>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the incident; readable in the Web UI's list: the title's words and a short random part (the INC
 * number comes later). `prove` signs who declares for the workflow id (the HTTP server's verified person).
 */
export async function startDeclaredIncident(
  client: Client,
  taskQueue: string,
  input: IncidentInput,
  prove?: (workflowId: string) => ActorProof,
): Promise<WorkflowHandle> {
  const slug = input.title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
    .replace(/-$/, '');
  const workflowId = `incident-${slug ? `${slug}-` : ''}${randomUUID().slice(0, 8)}`;
  return client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [prove ? { ...input, declaredProof: prove(workflowId) } : input],
    memo: { title: input.title },
    // The title, not the severity: a static summary cannot follow a change (current details do).
    staticSummary: incidentStartMetadata(input).summary,
    staticDetails: incidentStartMetadata(input).details,
    typedSearchAttributes: [
      { key: searchAttributes.title, value: input.title },
      { key: searchAttributes.severity, value: input.severity },
      { key: searchAttributes.service, value: input.service },
      { key: searchAttributes.phase, value: 'detect' },
      { key: searchAttributes.status, value: 'open' },
    ],
  });
}

/** The INC number, once the store has assigned it and `list` can see it. */
export async function registeredIncidentId(client: Client, handle: WorkflowHandle, taskQueue: string, withinMs = 20_000): Promise<string> {
  const deadline = Date.now() + withinMs;
  let incidentId = '';
  while (!incidentId) {
    if (Date.now() > deadline)
      throw new IncidentError(
        `incident ${handle.workflowId} started, but no worker registered it; is the worker running on task queue "${taskQueue}"?`,
        'Unavailable',
      );
    incidentId = (await handle.query(stateQuery).catch(() => null))?.incidentId ?? '';
    if (!incidentId) await sleep(150);
  }
  const query = `${searchAttributes.incidentId.name} = "${incidentId}"`;
  while (Date.now() < deadline && (await client.workflow.count(query)).count === 0) await sleep(100);
  return incidentId;
}
