// The workflow bundle's entry point: every workflow type the worker serves.
export { incidentWorkflow } from './incident/workflow';
export { reviewWorkflow } from './review';
export { runbookWorkflow } from './runbook';
export {
  actionItemWorkflow,
  digestWorkflow,
  evidenceWorkflow,
  onCallOverrideWorkflow,
  onCallWorkflow,
  reportWorkflow,
} from './store-requests';
