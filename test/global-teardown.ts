export default async function globalTeardown(): Promise<void> {
  for (const cleanup of (globalThis.__incidentTestCleanup ?? []).reverse()) {
    await cleanup().catch((error: Error) => process.stderr.write(`teardown: ${error.message}\n`));
  }
}
