import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createStoreSchema } from './helpers/store-schema';
import { newPayloadKeyLine } from '../security/payload-codec';
import { newApprovalKeyPair } from '../security/approval-grant';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort, resolveTemporalCli, startDevServer } from '../dev/temporal-cli';

declare global {
  // Shared with global-teardown, which runs in the same process.
  var __incidentTestCleanup: (() => Promise<void>)[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  globalThis.__incidentTestCleanup = cleanups;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'incident-tests-'));
  // The embedded PostgreSQL runs as its own user when we are root, and must reach its folder.
  chmodSync(dir, 0o755);
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));

  const started = Date.now();
  // One payload key for the run: every client, worker, CLI run and server process of the tests seals with it.
  process.env.PAYLOAD_KEYS = newPayloadKeyLine('test');
  // And one approval key pair: test HTTP servers sign approvals, runbook hosts (in-process or spawned) verify them.
  const approval = newApprovalKeyPair();
  process.env.APPROVAL_SIGNING_KEY = approval.signing;
  process.env.APPROVAL_VERIFY_KEY = approval.verify;
  const cli = await resolveTemporalCli((line) => process.stderr.write(`${line}\n`));
  const server = await startDevServer({ cliPath: cli, logFile: path.join(os.tmpdir(), 'incident-tests-temporal.log') });
  cleanups.push(() => server.stop());
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_TEMPORAL_HTTP_PORT = String(server.httpPort);

  let baseUrl = process.env.TEST_DATABASE_URL;
  if (!baseUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort() });
    cleanups.push(() => pg.stop());
    // Tests create databases and roles of their own: they administer it as the superuser.
    baseUrl = pg.adminUrl;
  }
  // A schema of its own per run keeps runs apart on a shared server, and is dropped at the end.
  const schema = `incident_test_${process.pid}_${Date.now()}`;
  const store = await createStoreSchema(baseUrl, schema);
  cleanups.push(() => store.drop());
  process.env.TEST_DB_URL = store.url;

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} },
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.stderr.write(`\nTest harness ready in ${Date.now() - started} ms: Temporal ${server.address}, schema ${schema}\n`);
}
