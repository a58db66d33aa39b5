/**
 * The monitoring pipeline's heartbeat: Alertmanager's always-firing Watchdog alert opens no incident;
 * when it stops arriving, the on-call person is paged "monitoring pipeline is silent", once, and that
 * incident resolves itself when the Watchdog is back.
 */
import { WATCHDOG_WORKFLOW_ID, searchAttributes, stateQuery, type IncidentState } from '../contract';
import { groupPayload } from './helpers/alerts';
import { sleep, testPolicy, useIncidentHarness, waitFor } from './helpers/harness';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const base = testPolicy();
const policy = testPolicy({
  alertmanager: { ...base.alertmanager, watchdog: { alertname: 'Watchdog', silentAfter: '2s', severity: 'P3' } },
});
let webhook: TestWebhook;
const h = useIncidentHarness({ name: 'heartbeat', policy, beforeTeardown: async () => webhook?.close() });
beforeAll(async () => {
  webhook = await startWebhook(h.env.client, h.taskQueue, policy);
});
afterAll(async () => {
  await h.env?.client.workflow
    .getHandle(WATCHDOG_WORKFLOW_ID)
    .terminate('test over')
    .catch(() => undefined);
});

const silentPages = () => h.smtp.mails.filter((m) => m.subject.includes('Monitoring pipeline is silent') && m.subject.includes('(page:'));
const beat = () => webhook.post(groupPayload('{}:{alertname="Watchdog"}', { w1: 'firing' }, { alertname: 'Watchdog', severity: 'none' }));

test('a silent Watchdog pages on-call once, and the page resolves itself when the Watchdog is back', async () => {
  expect(await beat()).toMatchObject({ status: 200, body: { outcome: 'heartbeat' } });
  // Beats every half second: nobody is paged.
  for (let i = 0; i < 6; i++) {
    await sleep(500);
    expect((await beat()).status).toBe(200);
  }
  expect(silentPages()).toHaveLength(0);

  // Silence: one incident, one page to the on-call person.
  const page = await waitFor(() => silentPages()[0], 'the silent-pipeline page', 15_000);
  const incidentId = /INC-\d+/.exec(page.subject)![0];
  await sleep(3000);
  expect(silentPages().filter((m) => m.subject.includes(`${incidentId}:`))).toHaveLength(1);

  // The Watchdog is back: the incident's alert clears and it resolves itself.
  expect((await beat()).status).toBe(200);
  const resolved = await waitFor(async () => {
    for await (const w of h.env.client.workflow.list({ query: `${searchAttributes.incidentId.name} = "${incidentId}"` })) {
      const handle = h.env.client.workflow.getHandle(w.workflowId);
      const state = w.status.name === 'RUNNING' ? await handle.query(stateQuery) : ((await handle.result()) as IncidentState);
      if (state?.status === 'resolved') return state;
    }
    return undefined;
  }, 'the silence to resolve');
  expect(resolved).toMatchObject({ resolvedBy: 'alertmanager', service: 'monitoring', severity: 'P3' });
});
