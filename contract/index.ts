/**
 * The contract: messages, types, failure types, search attributes and task queues, one file per
 * workflow plus what they share. Imported by workflows, activities, the CLI, the HTTP server and tests.
 */
export * from './common';
export * from './incident';
export * from './review';
export * from './runbook';
export * from './activities';
export * from './identity';
export * from './chat';
export * from './channels';
export * from './maintenance';
export * from './schedules';
export * from './integrations';
