/**
 * The public status page: nothing is public until someone publishes it; then only the public title,
 * state, impact and updates, on the overview, the incident's own page, the Atom feed and the JSON.
 * Looked at in headless Chromium at desktop and phone widths (screenshots in test-artifacts/).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import {
  INCIDENT_WORKFLOW_TYPE,
  addNoteUpdate,
  advancePhaseUpdate,
  resolveUpdate,
  searchAttributes,
  setImpactUpdate,
  stateQuery,
} from '../contract';
import type { StatusData } from '../server/status-page/data';
import { runCli } from './helpers/cli';
import { declareIncident, sleep, useIncidentHarness, waitFor } from './helpers/harness';
import { startWebhook, type TestWebhook } from './helpers/webhook';
import { createSmtpMailer, type Mailer } from '../adapters/mailer';
import { SubscriberStore } from '../store/subscribers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../test-artifacts');
const PUBLIC_URL = 'https://status.test';
const LINK_SECRET = 'status-link-secret';
let http: TestWebhook;
let mailer: Mailer;
const h = useIncidentHarness({
  name: 'status',
  // Workers sign unsubscribe links with the acknowledge-link secret, as the HTTP server does.
  worker: { ackLinks: { secret: LINK_SECRET, publicUrl: PUBLIC_URL, ttlSeconds: 3600 } },
  beforeTeardown: async () => {
    await http?.close();
    mailer?.close();
  },
});
/** The HTTP server with the status page and its subscriptions (each has its own rate limits). */
const statusServer = () =>
  startWebhook(
    h.env.client,
    h.taskQueue,
    h.policy,
    5000,
    { publicUrl: PUBLIC_URL, ackSecret: LINK_SECRET },
    { subscriptions: { store: new SubscriberStore(h.env.pool), mailer } },
  );
beforeAll(async () => {
  mailer = createSmtpMailer(h.smtp.url, 'status@test.local');
  http = await statusServer();
});

const statusJson = async () => (await (await fetch(`${http.url}/status.json`)).json()) as StatusData;
const text = async (route: string) => {
  const response = await fetch(`${http.url}${route}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
};
const PUBLIC_ROUTES = ['/status', '/status.json', '/status/feed.atom'];

async function inBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

test('nothing is public until published; then only its public title, state and updates, in a real browser', async () => {
  const run = h.taskQueue.slice(-8);
  const internalTitle = `Too many connections on pay-core-7 ${run}`;
  const p1 = await declareIncident(h.env, h.taskQueue, { policy: h.policy, severity: 'P1', title: internalTitle, service: 'pay-core-7' });
  const id = p1.state.incidentId;
  await p1.handle.executeUpdate(addNoteUpdate, { args: [{ by: 'engineer-a', text: `SECRET-${run}: db-7.internal password rotated` }] });
  const cli = (...args: string[]) => runCli({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue }, ...args);

  // Declared, noted, P1: still nothing public.
  for (const route of PUBLIC_ROUTES) expect((await text(route)).body).not.toContain(id);
  expect((await text(`/status/incidents/${id}`)).status).toBe(404);

  // The first public update needs a public title of its own.
  const untitled = await cli('update', id, 'We are investigating.', '--public');
  expect(untitled).toMatchObject({ code: 2, stderr: expect.stringContaining('needs a public title (--title)') });
  const published = await cli(
    'update',
    id,
    'We are investigating elevated payment errors.',
    '--public',
    '--title',
    `Payments are failing ${run}`,
    '--component',
    'checkout',
  );
  expect(published.code).toBe(0);

  const listed = await waitFor(async () => (await statusJson()).open.find((i) => i.id === id), 'the incident on the status page');
  expect(listed).toMatchObject({
    title: `Payments are failing ${run}`,
    state: 'investigating',
    impact: 'partial-outage',
    components: ['checkout'],
    updates: [{ text: 'We are investigating elevated payment errors.', state: 'investigating' }],
  });
  expect((await statusJson()).components.find((c) => c.id === 'checkout')).toMatchObject({ state: 'partial-outage' });

  // Contained: the page says "identified" without anyone re-publishing.
  await p1.handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
  await waitFor(async () => (await statusJson()).open.find((i) => i.id === id)?.state === 'identified', 'identified');
  expect(await cli('update', id, 'A fix is rolling out.', '--public', '--state', 'monitoring', '--impact', 'degraded')).toMatchObject({
    code: 0,
  });
  await waitFor(async () => (await statusJson()).open.find((i) => i.id === id)?.state === 'monitoring', 'monitoring');

  // A P1 affecting more than 10% of users emails customers, once.
  await p1.handle.executeUpdate(setImpactUpdate, { args: [{ by: 'ic', usersPct: 25 }] });
  await p1.handle.executeUpdate(setImpactUpdate, { args: [{ by: 'ic', usersPct: 30 }] });
  const customerMail = (m: { to: string[]; subject: string }) =>
    m.to.includes('customers@example.com') && m.subject === `Service incident: Payments are failing ${run}`;
  await waitFor(() => h.smtp.mails.find(customerMail), 'customer email');
  // impact says whether and when customers heard of it.
  const impact = await waitFor(async () => {
    const r = await cli('impact', id, '--users-pct', '35');
    return r.stdout.includes('customers were emailed at') ? r : undefined;
  }, 'impact to report the customer email');
  expect(impact.stdout).toMatch(new RegExp(`^${id}: 35% of users affected; customers were emailed at \\d{4}-`));

  // Internal strings appear on no public page or feed.
  const internal = [
    internalTitle,
    `SECRET-${run}`,
    'db-7.internal',
    'pay-core-7',
    'P1',
    'Engineer A',
    'Incident Commander',
    '@example.com',
    '+1555',
  ];
  const pages = await Promise.all([...PUBLIC_ROUTES, `/status/incidents/${id}`].map(text));
  for (const page of pages) for (const secret of internal) expect([page.body.includes(secret), secret]).toEqual([false, secret]);
  const feed = pages[2]!;
  expect(feed.type).toContain('application/atom+xml');
  expect(feed.body).toContain(`<link href="https://status.test/status/incidents/${id}"/>`);
  expect(feed.body).toContain(`Payments are failing ${run}: Monitoring`);

  await inBrowser(async (browser) => {
    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 900 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const page = await browser.newPage({ viewport });
      await page.goto(`${http.url}/status`);
      const card = page.locator(`article[data-id="${id}"]`);
      await card.waitFor();
      expect(await card.locator('.state').textContent()).toBe('Monitoring');
      expect(await page.locator('.banner').textContent()).toMatch(/active incident/);
      expect(await page.locator('.component[data-id="checkout"] .state').textContent()).toBe('Degraded performance');
      // Times people read: "14:05 UTC, just now", not ISO.
      expect(await card.locator('time').first().textContent()).toMatch(/^\d\d:\d\d UTC, (just now|\d+ minutes? ago)$/);
      await page.screenshot({ path: path.join(ARTIFACTS, `status-page-${name}.png`), fullPage: true });
      await page.click(`article[data-id="${id}"] h3 a`);
      await page.waitForURL(`**/status/incidents/${id}`);
      expect(await page.locator('h1').textContent()).toBe(`Payments are failing ${run}`);
      expect(await page.locator('.updates li').count()).toBe(2);
      await page.screenshot({ path: path.join(ARTIFACTS, `status-incident-${name}.png`), fullPage: true });
      await page.close();
    }
  });

  await p1.handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'expired webhook secret', resolution: 'rotated' }] });
  await waitFor(async () => (await statusJson()).resolved.find((i) => i.id === id), 'the resolved list');
  // Visibility moves the closed incident from the running list to the completed one: read until settled.
  const after = await waitFor(async () => {
    const s = await statusJson();
    const today = s.components.find((c) => c.id === 'checkout')!.history.at(-1);
    return !s.open.some((i) => i.id === id) && today?.state === 'degraded' ? s : undefined;
  }, 'the resolved incident in the 90-day history');
  expect(JSON.stringify(after)).not.toContain('expired webhook secret');
  await inBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${http.url}/status`);
    expect(await page.locator(`article.resolved[data-id="${id}"] .state`).textContent()).toBe('Resolved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-resolved.png'), fullPage: true });
  });
  expect(h.smtp.mails.filter(customerMail)).toHaveLength(1);
});

test('a user-facing P1 with no public update in time pages the communications lead once; a published one does not', async () => {
  const policy = { ...h.policy, statusPage: { ...h.policy.statusPage, updateWithin: '2s' } };
  const commsMails = (id: string) =>
    h.smtp.mails.filter(
      (m) => m.to.includes('comms@example.com') && m.subject.includes(`${id} SLA breach: P1 without a public status update`),
    );
  const silent = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P1', service: 'checkout' });
  // The published one has a minute: its update is in time however loaded the machine (the CLI starts in seconds).
  const roomy = { ...h.policy, statusPage: { ...h.policy.statusPage, updateWithin: '60s' } };
  const published = await declareIncident(h.env, h.taskQueue, { policy: roomy, severity: 'P1', service: 'checkout' });
  expect(
    await runCli(
      { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue },
      'update',
      published.state.incidentId,
      'Investigating checkout errors.',
      '--public',
      '--title',
      'Checkout errors',
    ),
  ).toMatchObject({ code: 0 });

  const page = await waitFor(() => commsMails(silent.state.incidentId)[0], 'the communications lead to be paged');
  expect(page.subject).toContain('within 2s of detection: post one now with incidentctl update');
  await sleep(3000);
  expect(commsMails(silent.state.incidentId)).toHaveLength(1);
  expect(commsMails(published.state.incidentId)).toHaveLength(0);
  const state = await silent.handle.query(stateQuery);
  expect(state!.breaches).toContainEqual(expect.objectContaining({ kind: 'status-page' }));
});

test('subscribers confirm by a button (not by opening the link), get one email per public update, and unsubscribe from any of them', async () => {
  const run = h.taskQueue.slice(-8);
  const email = `reader-${run}@example.org`;
  const local = (link: string) => link.replace(PUBLIC_URL, http.url);
  const form = (route: string, body: Record<string, string>) =>
    fetch(`${http.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
  const inbox = () => h.smtp.mails.filter((m) => m.to.includes(email));
  const linkIn = (text: string, purpose: string) =>
    text.match(new RegExp(`https://status\\.test/status/subscriptions/${purpose}/[\\w.-]+`))![0];

  expect((await form('/status/subscribe', { email: 'not an address' })).status).toBe(400);
  expect((await form('/status/subscribe', { email })).status).toBe(200);
  const confirmation = await waitFor(() => inbox()[0], 'the confirmation email');
  expect((await form('/status/subscribe', { email })).status).toBe(200); // asked again: no second email within the hour
  const confirmLink = local(linkIn(confirmation.text, 'confirm'));
  // A mail scanner opening the link confirms nothing: the page has a button.
  expect(await (await fetch(confirmLink)).text()).toContain('<button type="submit">Confirm subscription</button>');
  expect(await new SubscriberStore(h.env.pool).confirmed()).not.toContainEqual(expect.objectContaining({ email }));
  expect((await fetch(`${confirmLink.slice(0, -3)}xyz`, { method: 'POST' })).status).toBe(403);
  expect(await (await fetch(confirmLink, { method: 'POST' })).text()).toContain(`${email} gets an email with every public update`);

  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy: h.policy, severity: 'P2', service: 'checkout' });
  const cli = (...args: string[]) => runCli({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue }, ...args);
  expect(
    await cli('update', state.incidentId, 'Looking into slow checkouts.', '--public', '--title', `Slow checkouts ${run}`),
  ).toMatchObject({ code: 0 });
  const first = await waitFor(() => inbox().find((m) => m.subject === `Slow checkouts ${run}: Investigating`), 'the first update email');
  expect(first.text).toContain('Looking into slow checkouts.');
  expect(first.text).toContain(`${PUBLIC_URL}/status/incidents/${state.incidentId}`);
  expect(await cli('update', state.incidentId, 'Fixed; watching.', '--public', '--state', 'monitoring')).toMatchObject({ code: 0 });
  await waitFor(() => inbox().find((m) => m.subject === `Slow checkouts ${run}: Monitoring`), 'the second update email');

  const unsubscribe = local(linkIn(first.text, 'unsubscribe'));
  expect((await fetch(unsubscribe, { method: 'POST' })).status).toBe(200);
  expect(await cli('update', state.incidentId, 'Still watching.', '--public')).toMatchObject({ code: 0 });
  // The third update went out to nobody: the timeline says so once the lane has sent it.
  await waitFor(
    async () => (await handle.query(stateQuery))!.timeline.some((e) => e.text.startsWith('Public update 3 emailed to')),
    'the third update to be sent',
  );
  expect(inbox().map((m) => m.subject)).toEqual([
    'Confirm your subscription to Service status',
    `Slow checkouts ${run}: Investigating`,
    `Slow checkouts ${run}: Monitoring`,
  ]);
});

test('the page shows only what our workers published: a forged, foreign or malformed memo is left out, never the page; the feed carries no control characters', async () => {
  const run = h.taskQueue.slice(-8);
  const forgedMemo = (title: string, extra: Record<string, unknown> = {}) => ({
    title,
    publicTitle: title,
    publicUpdates: [{ at: new Date().toISOString(), text: `forged ${run}`, state: 'investigating' }],
    ...extra,
  });
  const start = (client: Client, taskQueue: string, title: string, extra: Record<string, unknown> = {}) =>
    client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId: `incident-forged-${randomUUID()}`,
      taskQueue,
      args: [],
      memo: forgedMemo(title, extra),
      typedSearchAttributes: [{ key: searchAttributes.incidentId, value: `INC-9${Math.floor(Math.random() * 1e8)}` }],
    });
  const stranger = new Client({ connection: h.env.client.connection });
  const forged = [
    // Someone without the payload key, on our queue: the memo does not open.
    await start(stranger, h.taskQueue, `Unsealed ${run}`),
    // An insider with the key, on a queue no worker of ours serves.
    await start(h.env.client, `elsewhere-${run}`, `Elsewhere ${run}`),
    // An insider on our queue with an impact meant to break out of its attribute.
    await start(h.env.client, h.taskQueue, `Breakout ${run}`, {
      publicImpact: '"><meta http-equiv="refresh" content="0;url=https://evil.example">',
    }),
  ];
  try {
    // A real incident published with a bell and an escape in its text, beside them.
    const real = await declareIncident(h.env, h.taskQueue, { policy: h.policy, severity: 'P2', title: `Real ${run}` });
    const id = real.state.incidentId;
    const published = await runCli(
      { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue },
      'update',
      id,
      `Degraded\u0007 search \u001b[31m${run}`,
      '--public',
      '--title',
      `Search is slow ${run}`,
    );
    expect(published.code).toBe(0);
    await waitFor(async () => (await statusJson()).open.some((i) => i.id === id), 'the real incident on the page', 30_000);
    for (const route of PUBLIC_ROUTES) {
      const page = await text(route);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain(`forged ${run}`);
      expect(page.body).not.toContain('http-equiv');
    }
    const feed = (await text('/status/feed.atom')).body;
    expect(feed).toContain(`Degraded search [31m${run}`);
    // eslint-disable-next-line no-control-regex
    expect(feed).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  } finally {
    for (const handle of forged) await handle.terminate('test: forged').catch(() => undefined);
  }
});

test('the subscribe form is no mail cannon: a few attempts per inbox (plus-addressing is one inbox) and per client, then 429', async () => {
  const run = h.taskQueue.slice(-8);
  const fresh = await statusServer();
  try {
    const subscribe = (email: string) =>
      fetch(`${fresh.url}/status/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      });
    const inbox = `cannon-${run}@example.com`;
    for (let i = 1; i <= 3; i++) expect((await subscribe(inbox.replace('@', `+${i}@`))).status).toBe(200);
    const fourth = await subscribe(inbox.replace('@', '+4@'));
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another inbox from the same client: the fifth attempt passes, the sixth is one too many.
    expect((await subscribe(`other-${run}@example.com`)).status).toBe(200);
    expect((await subscribe(`third-${run}@example.com`)).status).toBe(429);
    // Three confirmation emails reached the inbox, no more.
    await sleep(1000);
    expect(h.smtp.mails.filter((m) => m.to.some((to) => to.startsWith(`cannon-${run}`)))).toHaveLength(3);
  } finally {
    await fresh.close();
  }
});

test('a maintenance window shows its components as under maintenance until it ends, never its reason', async () => {
  const cli = (...args: string[]) => runCli({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue }, ...args);
  const started = await cli(
    'maintenance',
    'start',
    '--service',
    'search',
    '--for',
    '30m',
    '--reason',
    'reindex the secret cluster',
    '--json',
  );
  expect(started.code).toBe(0);
  const window = JSON.parse(started.stdout) as { id: string; to: string };
  try {
    const shown = await waitFor(async () => {
      const data = await statusJson();
      return data.maintenance.length ? data : undefined;
    }, 'the window on the status page');
    expect(shown.maintenance).toEqual([{ components: ['data'], startedAt: expect.any(String), until: expect.any(String) }]);
    expect(Math.abs(Date.parse(shown.maintenance[0]!.until) - Date.parse(window.to))).toBeLessThan(5000);
    expect(shown.components.find((c) => c.id === 'data')).toMatchObject({
      state: 'operational',
      maintenanceUntil: shown.maintenance[0]!.until,
    });
    const page = await (await fetch(`${http.url}/status`)).text();
    expect(page).toContain('<h3>Maintenance: Data and search</h3>');
    expect(page).toMatch(
      /<div class="component" data-id="data"><div class="row"><span>Data and search<\/span><span class="state maintenance">Under maintenance<\/span>/,
    );
    expect(page).not.toContain('reindex');
  } finally {
    expect((await cli('maintenance', 'end', window.id)).code).toBe(0);
  }
  await waitFor(async () => ((await statusJson()).maintenance.length === 0 ? true : undefined), 'the window gone once ended', 15_000);
});
