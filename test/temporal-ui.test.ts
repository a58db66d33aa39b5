/**
 * The Temporal Web UI as an incident list and an incident's story: a summary and details from the
 * start, current details kept up to date by the workflow, IncidentTitle and IncidentId to search by.
 * Looked at in headless Chromium on a dev server of its own with its UI (screenshots in test-artifacts/).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { Pool } from 'pg';
import { ReviewStore } from '../store/review-store';
import { IncidentStore } from '../store/incident-store';
import { searchAttributes } from '../contract';
import { freePort, resolveTemporalCli, startDevServer, type DevServer } from '../dev/temporal-cli';
import { createIncidentWorker } from '../workers/create-worker';
import { runCli } from './helpers/cli';
import { testPolicy, uniqueQueue, waitFor, workflowBundle } from './helpers/harness';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';
import { EncryptionCodec, parsePayloadKeys } from '../security/payload-codec';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const ARTIFACTS = path.resolve(__dirname, '../test-artifacts');
const taskQueue = uniqueQueue('ui');
let server: DevServer;
let connection: Connection;
let native: NativeConnection;
let pool: Pool;
let stopWorker: () => Promise<void>;
let codecServer: TestWebhook;
const CODEC_TOKEN = 'ui-codec-test-token';

beforeAll(async () => {
  // Payloads are sealed: the UI opens them through our codec endpoint, as npm start configures it.
  const uiPort = await freePort();
  codecServer = await startWebhook(
    new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    taskQueue,
    testPolicy(),
    5000,
    undefined,
    {
      codec: {
        codec: new EncryptionCodec(parsePayloadKeys(process.env.PAYLOAD_KEYS!)),
        token: CODEC_TOKEN,
        uiOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
      },
    },
  );
  server = await startDevServer({
    cliPath: await resolveTemporalCli(),
    uiPort,
    uiCodecEndpoint: `${codecServer.url}/codec/${CODEC_TOKEN}`,
  });
  connection = await Connection.connect({ address: server.address });
  native = await NativeConnection.connect({ address: server.address });
  pool = new Pool({ connectionString: process.env.TEST_DB_URL, max: 3 });
  const worker = await createIncidentWorker({
    dataConverter: ephemeralDataConverter(),
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: workflowBundle(),
    deps: { store: new IncidentStore(pool), reviews: new ReviewStore(pool), policy: testPolicy() },
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
}, 90_000);
afterAll(async () => {
  await stopWorker?.();
  await native?.close();
  await connection?.close();
  await pool?.end();
  await server?.stop();
  await codecServer?.close();
});

test('an incident reads as a titled row in the list and a current story on its page', async () => {
  const env = { TEMPORAL_ADDRESS: server.address, TASK_QUEUE: taskQueue };
  const declared = await runCli(
    env,
    'declare',
    '--title',
    'Checkout latency above SLO',
    '--severity',
    'P2',
    '--service',
    'checkout',
    '--json',
  );
  expect(declared.code).toBe(0);
  const { incidentId, workflowId } = JSON.parse(declared.stdout) as { incidentId: string; workflowId: string };
  expect(workflowId).toMatch(/^incident-checkout-latency-above-slo-[0-9a-f]{8}$/);
  expect(await runCli(env, 'ack', incidentId, '--as', 'alice')).toMatchObject({ code: 0 });
  expect(await runCli(env, 'severity', incidentId, 'P1', '--as', 'alice')).toMatchObject({ code: 0 });

  const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  expect(await description.staticSummary()).toBe('Checkout latency above SLO');
  expect(await description.staticDetails()).toContain('declared as P2 by');
  expect(description.typedSearchAttributes.get(searchAttributes.title)).toBe('Checkout latency above SLO');
  // Current details follow the incident: P1 now, acknowledged by alice.
  const details = await waitFor(async () => {
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    return meta.currentDetails?.includes('· P1 ·') ? meta.currentDetails : undefined;
  }, 'current details to show P1');
  expect(details).toContain(`### ${incidentId} · P1 · acknowledged`);
  expect(details).toMatch(/acknowledged: alice \(unverified\) at /);

  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // The saved query in docs/using.md: incidents only, no store helpers.
    const query = encodeURIComponent('WorkflowType = "incidentWorkflow"');
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-list.png') });
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${workflowId}`);
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-incident.png'), fullPage: true });
    // The summary, details and current details, as an incident lead reads them.
    // The summary is a sealed payload: readable here only because the UI opened it through the codec endpoint.
    await page.getByText('User Metadata').first().click();
    await page.getByText('Checkout latency above SLO').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-incident-metadata.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
