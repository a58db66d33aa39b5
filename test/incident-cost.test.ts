/**
 * What one incident costs Temporal: a scripted P1 under the shipped policy (declared with a commander,
 * first page, ack, five notes, five phase moves, a severity change, resolve; a second between actions,
 * as people type) may use at most half the workflow tasks, activities and history events it used
 * on the pre-release code (baseline measured with this script on that code: see BEFORE).
 */
import { randomUUID } from 'node:crypto';
import defaultPolicy from '../policy/default-policy.json';
import { parsePolicy } from '../policy/load';
import type { PolicyInput } from '../policy/schema';
import { historyCost } from '../dev/history-cost';
import {
  INCIDENT_WORKFLOW_TYPE,
  acknowledgeUpdate,
  addNoteUpdate,
  advancePhaseUpdate,
  changeSeverityUpdate,
  resolveUpdate,
  stateQuery,
  type IncidentInput,
} from '../contract';
import { sleep, useIncidentHarness, waitFor } from './helpers/harness';

/** The shipped policy (call, SMS and email for a P1), runbooks aside: they run real commands. */
const shipped = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
// Actions unverified (`by` as written): this measures the incident itself; a verified action adds one local activity.
const policy = parsePolicy(
  { ...shipped, identity: { require: [] }, runbooks: { ...shipped.runbooks!, definitions: [] } },
  'shipped policy',
);

/** The same script on the pre-release code (commit b485fbd): 306 events, 133 KB. */
const BEFORE = { workflowTasks: 45, activities: 32, events: 306 };

/** People act a second apart: each message then meets an idle workflow, as in real use. */
const ACTION_GAP_MS = 1000;

const h = useIncidentHarness({ name: 'cost', twilio: true, policy });

test('a scripted P1 costs at most half the workflow tasks, activities and events it did', async () => {
  const handle = await h.env.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
    workflowId: `incident-cost-${randomUUID()}`,
    taskQueue: h.taskQueue,
    memo: { title: 'Checkout API errors' },
    args: [
      { title: 'Checkout API errors', severity: 'P1', service: 'checkout', source: 'manual', declaredBy: 'tester' } satisfies IncidentInput,
    ],
  });
  const { incidentId } = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s?.incidentId ? s : undefined;
  }, 'registration');
  // The first page reaches a provider (the Twilio stand-in or SMTP); then the people act.
  await waitFor(() => h.twilio.requests.length + h.smtp.mails.filter((m) => m.subject.includes(incidentId)).length, 'first page');
  const act = async (run: () => Promise<unknown>) => {
    await sleep(ACTION_GAP_MS);
    await run();
  };
  await act(() => handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] }));
  for (let i = 1; i <= 5; i++) await act(() => handle.executeUpdate(addNoteUpdate, { args: [{ by: 'alice', text: `finding ${i}` }] }));
  for (let i = 0; i < 5; i++) {
    await act(() => handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'bob' }] }));
    if (i === 1)
      await act(() => handle.executeUpdate(changeSeverityUpdate, { args: [{ by: 'bob', severity: 'P2', reason: 'contained' }] }));
  }
  await act(() => handle.executeUpdate(resolveUpdate, { args: [{ by: 'bob', rootCause: 'bad deploy', resolution: 'rolled back' }] }));
  await handle.result();

  const history = await handle.fetchHistory();
  // Asking a closed incident replays its whole history: runs must replay as they ran.
  expect((await handle.query(stateQuery))?.status).toBe('resolved');
  const cost = historyCost(history);
  console.log(`scripted P1: ${JSON.stringify(cost)}; before: ${JSON.stringify(BEFORE)}`);
  expect(cost.workflowTasks).toBeLessThanOrEqual(BEFORE.workflowTasks / 2);
  expect(cost.activities + cost.localActivities).toBeLessThanOrEqual(BEFORE.activities / 2);
  expect(cost.events).toBeLessThanOrEqual(BEFORE.events / 2);
});
