import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { addNoteUpdate, advancePhaseUpdate, postPublicUpdate, resolveUpdate, setImpactUpdate } from '../contract';
import {
  declareIncident,
  openTestEnv,
  startTestWorker,
  testPolicy,
  uniqueQueue,
  waitFor,
  type RunningTestWorker,
  type TestEnv,
} from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../test-artifacts');
let env: TestEnv;
let smtp: TestSmtp;
let worker: RunningTestWorker;
let http: TestWebhook;
const taskQueue = uniqueQueue('status');
const policy = testPolicy();

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  http = await startWebhook(env.client, taskQueue, policy);
});
afterAll(async () => {
  await http.close();
  await worker.stop();
  await smtp.close();
  await env.close();
});

interface StatusJson {
  open: { id: string; state: string; title: string; updates: { text: string }[] }[];
  resolved: { id: string; state: string }[];
}
const statusJson = async () => (await (await fetch(`${http.url}/status.json`)).json()) as StatusJson;

test('the public status page shows open P0/P1 incidents with public updates only, in a real browser', async () => {
  const run = taskQueue.slice(-8);
  const p1 = await declareIncident(env, taskQueue, { policy, severity: 'P1', title: `Payments failing ${run}` });
  const p3 = await declareIncident(env, taskQueue, { policy, severity: 'P3', title: `Typo on pricing page ${run}` });
  await p1.handle.executeUpdate(addNoteUpdate, { args: [{ by: 'engineer-a', text: 'SECRET internal: db-1 password rotated' }] });
  await p1.handle.executeUpdate(postPublicUpdate, { args: [{ by: 'comms-lead', text: 'We are investigating elevated payment errors.' }] });

  const first = await waitFor(async () => {
    const s = await statusJson();
    return s.open.find((i) => i.id === p1.state.incidentId);
  }, 'P1 on the status page');
  expect(first).toMatchObject({
    state: 'investigating',
    title: `Payments failing ${run}`,
    updates: [{ text: 'We are investigating elevated payment errors.' }],
  });
  const raw = JSON.stringify(await statusJson());
  expect(raw).not.toContain(p3.state.incidentId);
  expect(raw).not.toContain('SECRET');
  expect(raw).not.toMatch(/@example\.com|\+1555/);

  await p1.handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  // Search attributes follow the phase within the workflow's next step.
  await waitFor(
    async () => (await statusJson()).open.find((i) => i.id === p1.state.incidentId)?.state === 'identified',
    'identified on the status page',
  );

  // A P1 affecting more than 10% of users emails customers, once.
  await p1.handle.executeUpdate(setImpactUpdate, { args: [{ by: 'ic', usersPct: 25 }] });
  await p1.handle.executeUpdate(setImpactUpdate, { args: [{ by: 'ic', usersPct: 30 }] });
  const customerMail = await waitFor(
    () => smtp.mails.find((m) => m.to.includes('customers@example.com') && m.subject.includes(`Payments failing ${run}`)),
    'customer email',
  );
  expect(customerMail.text).toContain('Incident Detected');
  await p3.handle.executeUpdate(setImpactUpdate, { args: [{ by: 'ic', usersPct: 90 }] });

  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(`${http.url}/status`);
    const card = page.locator(`article[data-id="${p1.state.incidentId}"]`);
    await card.waitFor();
    expect(await card.locator('.state').textContent()).toBe('Identified');
    expect(await card.textContent()).toContain('We are investigating elevated payment errors.');
    expect(await page.locator('.banner').textContent()).toMatch(/active incident/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });

    await p1.handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'expired webhook secret', resolution: 'rotated' }] });
    await p1.handle.result();
    await waitFor(async () => (await statusJson()).resolved.find((i) => i.id === p1.state.incidentId), 'resolved list');
    await page.reload();
    expect(await page.locator(`article.resolved[data-id="${p1.state.incidentId}"] .state`).textContent()).toBe('Resolved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-resolved.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  expect(smtp.mails.filter((m) => m.to.includes('customers@example.com') && m.subject.includes(`${run}`))).toHaveLength(1);
});
