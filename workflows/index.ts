// The workflow bundle's entry point: every workflow type the worker serves.
export { incidentWorkflow } from './incident/workflow';
export { reviewWorkflow } from './review';
export { runbookWorkflow } from './runbook/workflow';
export { watchdogWorkflow } from './watchdog';
export { heartbeatWorkflow } from './heartbeat';
export { maintenanceWorkflow } from './maintenance';
export { shiftNoticeWorkflow } from './shift-notices';
export { shiftSwapWorkflow } from './shift-swaps';
export {
  actionItemWorkflow,
  digestWorkflow,
  endOfDayWorkflow,
  evidenceWorkflow,
  inboxWorkflow,
  maintenanceEndWorkflow,
  maintenanceListWorkflow,
  onCallOverrideWorkflow,
  onCallOverridesWorkflow,
  onCallWorkflow,
  scheduleWorkflow,
  reportWorkflow,
  runbookCatalogWorkflow,
} from './store-requests';
