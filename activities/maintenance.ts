/**
 * Maintenance windows in the store: started and ended by each window's workflow, listed for
 * incidentctl, and asked by an incident when it opens (alerts during a window page nobody).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType, type MaintenanceWindow } from '../contract';
import { MaintenanceStore, type NewMaintenanceWindow } from '../store/maintenance-store';
import type { ActivityDeps } from './deps';

export function createMaintenanceActivities(deps: ActivityDeps, windows = new MaintenanceStore(deps.store.pool)) {
  const knownService = (service: string) => {
    const services = deps.policy.services.map((s) => s.id);
    // Single-team policies name no services: any service an incident can have is one.
    if (services.length && !services.includes(service))
      throw ApplicationFailure.nonRetryable(`no service "${service}"; services: ${services.join(', ')}`, ErrorType.InvalidInput);
  };
  return {
    async startMaintenance(input: NewMaintenanceWindow): Promise<MaintenanceWindow> {
      knownService(input.service);
      return windows.start(input);
    },

    async endMaintenance(input: { workflowId: string; at: string; by: string }): Promise<MaintenanceWindow | undefined> {
      return windows.end(input.workflowId, Date.parse(input.at), input.by);
    },

    async listMaintenance(input: { at: string }): Promise<MaintenanceWindow[]> {
      return windows.list(Date.parse(input.at));
    },

    /** A window by its id (M-n), for `maintenance end`. */
    async findMaintenance(input: { id: string }): Promise<MaintenanceWindow> {
      const found = await windows.find(input.id);
      if (!found)
        throw ApplicationFailure.nonRetryable(`no maintenance window ${input.id}; see incidentctl maintenance list`, ErrorType.NotFound);
      return found;
    },
  };
}
