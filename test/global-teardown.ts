import { reportWorkflowTaskFailures } from './workflow-task-failures';

export default async function globalTeardown(): Promise<void> {
  // Before the server goes: what the histories say of failed workflow tasks (CI's replay-safety run reads it).
  if (process.env.TEST_WFT_REPORT && process.env.TEST_TEMPORAL_ADDRESS)
    await reportWorkflowTaskFailures(process.env.TEST_TEMPORAL_ADDRESS, process.env.TEST_WFT_REPORT).catch((error: Error) =>
      process.stderr.write(`workflow task failure count: ${error.message}\n`),
    );
  for (const cleanup of (globalThis.__incidentTestCleanup ?? []).reverse()) {
    await cleanup().catch((error: Error) => process.stderr.write(`teardown: ${error.message}\n`));
  }
}
