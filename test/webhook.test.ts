import { workflowIdForGroup } from '../server/webhook/mapping';
import { reviewWorkflowId, stateQuery, type IncidentState } from '../contract';
import { groupPayload } from './helpers/alerts';
import { openTestEnv, startTestWorker, testPolicy, uniqueQueue, waitFor, type RunningTestWorker, type TestEnv } from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { startWebhook, type TestWebhook } from './helpers/webhook';

let env: TestEnv;
let smtp: TestSmtp;
let worker: RunningTestWorker;
let webhook: TestWebhook;
const taskQueue = uniqueQueue('webhook');
const policy = testPolicy();

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  webhook = await startWebhook(env.client, taskQueue, policy);
});
afterAll(async () => {
  await webhook.close();
  await worker.stop();
  await smtp.close();
  await env.close();
});

const stateOf = async (groupKey: string) =>
  (await env.client.workflow.getHandle(workflowIdForGroup(groupKey)).query(stateQuery)) as IncidentState;
const runsOf = async (groupKey: string) => {
  const runs = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = "${workflowIdForGroup(groupKey)}"` })) runs.push(w);
  return runs;
};

test('50 concurrent posts for one group open exactly one incident; later posts join it, deduplicated by fingerprint', async () => {
  const groupKey = `{}:{alertname="PostgresTooManyConnections",run="${taskQueue}"}`;
  const fingerprints = ['fp1', 'fp2', 'fp3', 'fp4', 'fp5'];
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      webhook.post(
        groupPayload(
          groupKey,
          Object.fromEntries(fingerprints.filter((_, j) => (i + j) % 2 === 0 || j === i % 5).map((f) => [f, 'firing'] as const)),
        ),
      ),
    ),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
  expect(responses.filter((r) => r.body.outcome === 'started')).toHaveLength(1);
  expect(responses.filter((r) => r.body.outcome === 'joined')).toHaveLength(49);

  const state = await waitFor(async () => {
    const s = await stateOf(groupKey);
    return s.incidentId && s.alerts.length === 5 ? s : undefined;
  }, 'all five alerts applied');
  expect(state).toMatchObject({
    source: 'alertmanager',
    severity: 'P1',
    service: 'checkout-db',
    title: 'PostgreSQL connection pool exhausted',
  });
  expect(state.timeline.filter((e) => e.kind === 'alert')).toHaveLength(5);
  expect(await runsOf(groupKey)).toHaveLength(1);
  const stored = await env.pool.query(
    "SELECT count(*)::int AS n FROM incidents WHERE source = 'alertmanager' AND title = $1 AND workflow_id = $2",
    ['PostgreSQL connection pool exhausted', workflowIdForGroup(groupKey)],
  );
  expect(stored.rows[0].n).toBe(1);

  // A new alert joins the same incident and lands on its timeline.
  const join = await webhook.post(groupPayload(groupKey, { fp1: 'firing', fp6: 'firing' }));
  expect(join.body.outcome).toBe('joined');
  const joined = await waitFor(async () => {
    const s = await stateOf(groupKey);
    return s.alerts.length === 6 ? s : undefined;
  }, 'sixth alert');
  expect(joined.incidentId).toBe(state.incidentId);
  expect(joined.timeline.filter((e) => e.kind === 'alert' && e.text.includes('[fp6]'))).toHaveLength(1);

  // Every alert clears: a P1 records it and waits for a human.
  await webhook.post(groupPayload(groupKey, Object.fromEntries([...fingerprints, 'fp6'].map((f) => [f, 'resolved'] as const))));
  const cleared = await waitFor(async () => {
    const s = await stateOf(groupKey);
    return s.timeline.some((e) => e.text.startsWith('Alerts cleared')) ? s : undefined;
  }, 'alerts cleared');
  expect(cleared.status).not.toBe('resolved');
  expect(cleared.timeline.some((e) => e.text.includes('waits for a human'))).toBe(true);
});

test('a P3 group auto-resolves when its alerts clear, and firing again opens a new incident', async () => {
  const groupKey = `{}:{alertname="DiskSpaceLow",run="${taskQueue}"}`;
  const first = await webhook.post(groupPayload(groupKey, { d1: 'firing' }, { severity: 'warning', alertname: 'DiskSpaceLow' }));
  expect(first.body.outcome).toBe('started');
  const opened = await waitFor(async () => {
    const s = await stateOf(groupKey);
    return s.incidentId ? s : undefined;
  }, 'P3 incident');
  expect(opened.severity).toBe('P3');

  await webhook.post(groupPayload(groupKey, { d1: 'resolved' }, { severity: 'warning', alertname: 'DiskSpaceLow' }));
  const handle = env.client.workflow.getHandle(workflowIdForGroup(groupKey), await handleRun(groupKey));
  const final = (await handle.result()) as IncidentState;
  expect(final).toMatchObject({ status: 'resolved', resolvedBy: 'alertmanager', phase: 'review' });
  // Resolved on its own: no post-mortem unless the policy asks (review.autoResolved).
  expect(final.timeline.map((e) => e.text)).toContain(
    'No post-incident review: it resolved on its own when its alerts cleared (policy review.autoResolved)',
  );
  await expect(env.client.workflow.getHandle(reviewWorkflowId(final.incidentId)).describe()).rejects.toThrow(/not found/i);

  // The closed group fires again: a new incident with a new number.
  const again = await webhook.post(groupPayload(groupKey, { d1: 'firing' }, { severity: 'warning', alertname: 'DiskSpaceLow' }));
  expect(again.body.outcome).toBe('started');
  const reopened = await waitFor(async () => {
    const s = await stateOf(groupKey);
    return s.incidentId && s.incidentId !== final.incidentId ? s : undefined;
  }, 'new incident');
  expect(reopened.number).toBeGreaterThan(final.number);
  expect(await runsOf(groupKey)).toHaveLength(2);
});

test('a resolution for a group with no open incident is accepted and opens nothing; unknown severities get the default and a note', async () => {
  const ghost = `{}:{alertname="Ghost",run="${taskQueue}"}`;
  const resolved = await webhook.post(groupPayload(ghost, { g1: 'resolved' }));
  expect(resolved).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
  expect(await runsOf(ghost)).toHaveLength(0);

  const odd = `{}:{alertname="Odd",run="${taskQueue}"}`;
  const payload = { ...groupPayload(odd, { o1: 'firing' }, { severity: 'apocalyptic' }), truncatedAlerts: 7 };
  expect((await webhook.post(payload)).status).toBe(200);
  const state = await waitFor(async () => {
    const s = await stateOf(odd);
    return s.incidentId && s.timeline.some((e) => e.kind === 'warning') ? s : undefined;
  }, 'notes on the timeline');
  expect(state.severity).toBe(policy.defaultSeverity);
  expect(state.timeline.map((e) => e.text)).toEqual(
    expect.arrayContaining([expect.stringContaining('severity "apocalyptic"'), '7 alerts were truncated by Alertmanager']),
  );
  // Once: not also as a note.
  expect(state.timeline.filter((e) => /truncated|dropped/.test(e.text))).toHaveLength(1);
});

async function handleRun(groupKey: string): Promise<string | undefined> {
  return (await env.client.workflow.getHandle(workflowIdForGroup(groupKey)).describe()).runId;
}
