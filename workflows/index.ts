// The workflow bundle's entry point: every workflow type the worker serves.
export { incidentWorkflow } from './incident';
