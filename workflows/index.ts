// The workflow bundle's entry point: every workflow type the worker serves.
export { incidentWorkflow } from './incident';
export { reviewWorkflow } from './review';
export { actionItemWorkflow, digestWorkflow, onCallOverrideWorkflow, onCallWorkflow, reportWorkflow } from './store-requests';
