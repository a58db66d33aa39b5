/** Maintenance windows: one short-lived workflow per window, which ends it on time. */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MaintenanceWindow } from './activities';

export const MAINTENANCE_WORKFLOW_TYPE = 'maintenanceWorkflow';
/** Answers once the window is in the store (update-with-start: `maintenance start` is one round trip). */
export const maintenanceOpenedUpdate = defineUpdate<MaintenanceWindow, []>('maintenanceOpened');
/** Ends the window before its time (`incidentctl maintenance end M-n`). */
export const endMaintenanceSignal = defineSignal<[{ by: string }]>('endMaintenance');
