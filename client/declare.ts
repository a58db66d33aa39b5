/**
 * Declaring an incident by hand (incidentctl declare, /incident declare): the workflow with a readable
 * id, its Web UI summary and search attributes, and the INC number once a worker has registered it.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  INCIDENT_WORKFLOW_TYPE,
  SEVERITIES,
  incidentStartMetadata,
  registeredUpdate,
  searchAttributes,
  type ActorProof,
  type IncidentInput,
} from '../contract';
import { startWithUpdate } from './start-with-update';

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
  /** The owning team (policies with teams); default: the service's. */
  team: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a team id such as db')
    .optional(),
});
export type DeclareRequest = z.infer<typeof declareRequest>;

/** A workflow id people can read in the Web UI's list: the title's words and a short random part. */
function workflowIdFor(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
    .replace(/-$/, '');
  return `incident-${slug ? `${slug}-` : ''}${randomUUID().slice(0, 8)}`;
}

/**
 * Declares the incident in one round trip: the start and the `registered` update together
 * (update-with-start), answered with its INC number once a worker has registered it. `prove` signs who
 * declares for the workflow id (the HTTP server's verified person).
 */
export async function declareIncident(
  client: Client,
  taskQueue: string,
  input: IncidentInput,
  prove?: (workflowId: string) => ActorProof,
  withinMs = 20_000,
): Promise<{ incidentId: string; workflowId: string }> {
  const workflowId = workflowIdFor(input.title);
  const metadata = incidentStartMetadata(input);
  const startWorkflowOperation = new WithStartWorkflowOperation(INCIDENT_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [prove ? { ...input, declaredProof: prove(workflowId) } : input],
    memo: { title: input.title },
    // The title, not the severity: a static summary cannot follow a change (current details do).
    staticSummary: metadata.summary,
    staticDetails: metadata.details,
    typedSearchAttributes: [
      { key: searchAttributes.title, value: input.title },
      { key: searchAttributes.severity, value: input.severity },
      { key: searchAttributes.service, value: input.service },
      { key: searchAttributes.phase, value: 'detect' },
      { key: searchAttributes.status, value: 'open' },
    ],
  });
  const { incidentId } = await startWithUpdate(client, registeredUpdate, startWorkflowOperation, `incident ${workflowId}`, withinMs);
  return { incidentId, workflowId };
}
