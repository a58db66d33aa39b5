/**
 * Starting a maintenance window (incidentctl maintenance start, POST /api/v1/maintenance): its workflow
 * and the `maintenanceOpened` update together, answered once the window is in the store.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  MAINTENANCE_WORKFLOW_TYPE,
  maintenanceOpenedUpdate,
  type ActorProof,
  type MaintenanceRequest,
  type MaintenanceWindow,
} from '../contract';
import { startWithUpdate } from './start-with-update';

/** What a person asks for: a service, how long (in minutes, at most a week) and why. */
export const maintenanceRequest = z.object({
  service: z.string().trim().min(1, 'must not be empty').max(100),
  minutes: z
    .number()
    .int()
    .min(1, 'at least a minute')
    .max(7 * 24 * 60, 'at most a week'),
  reason: z.string().trim().min(1, 'must not be empty').max(300),
});

/** A window id people read in the Web UI's list: the service and a short random part. */
const workflowIdFor = (service: string) =>
  `maintenance-${service
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)}-${randomUUID().slice(0, 8)}`;

export async function startMaintenance(
  client: Client,
  taskQueue: string,
  request: Omit<MaintenanceRequest, 'proof'>,
  prove?: (workflowId: string) => ActorProof,
  withinMs = 20_000,
): Promise<MaintenanceWindow> {
  const workflowId = workflowIdFor(request.service);
  const startWorkflowOperation = new WithStartWorkflowOperation(MAINTENANCE_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [prove ? { ...request, proof: prove(workflowId) } : request],
    // What the status page shows of it (read from visibility, like published incidents): never the reason.
    memo: { maintenance: { service: request.service, until: new Date(Date.now() + request.minutes * 60_000).toISOString() } },
    staticSummary: `Maintenance of ${request.service}: ${request.reason}`,
  });
  return startWithUpdate(client, maintenanceOpenedUpdate, startWorkflowOperation, `maintenance ${workflowId}`, withinMs);
}
