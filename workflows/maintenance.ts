/**
 * One maintenance window: recorded in the store (the requester verified when a proof came with it), then
 * a durable timer to its end; `endMaintenance` ends it early. Alerts of its service meanwhile page nobody
 * (the incident asks the store when it opens).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { ErrorType, endMaintenanceSignal, maintenanceOpenedUpdate, type MaintenanceRequest, type MaintenanceWindow } from '../contract';
import { nowIso } from './clock';
import { verifiedActor, type VerifyActivity } from './identity';

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', nonRetryableErrorTypes: [ErrorType.InvalidInput, ErrorType.IdentityRejected] },
});

export async function maintenanceWorkflow(request: MaintenanceRequest): Promise<MaintenanceWindow | undefined> {
  let window: MaintenanceWindow | undefined;
  let failure: Error | undefined;
  let endedBy: string | undefined;
  setHandler(maintenanceOpenedUpdate, async () => {
    await condition(() => window !== undefined || failure !== undefined);
    if (failure) throw failure;
    return window!;
  });
  setHandler(endMaintenanceSignal, ({ by }) => void (endedBy ??= by));

  const verify: VerifyActivity = (check) =>
    acts.verifyActor.executeWithOptions({ startToCloseTimeout: '30s', summary: `Verify who asks: ${check.proof.person}` }, [check]);
  try {
    const actor = await verifiedActor(verify, [], 'maintenance', request, '');
    const by = actor.via === 'unverified' ? request.by : `${actor.name} (${actor.via})`;
    const from = nowIso();
    const to = new Date(Date.parse(from) + request.minutes * 60_000).toISOString();
    const { workflowId } = workflowInfo();
    window = await acts.startMaintenance({ service: request.service, from, to, reason: request.reason, by, workflowId });
  } catch (error) {
    // The requester hears why (an unknown service, a refused proof), not a wrapped activity failure.
    failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : (error as Error);
    await condition(allHandlersFinished);
    throw failure;
  }
  // On time (a durable timer survives worker restarts), or when someone ends it.
  await condition(() => endedBy !== undefined, Date.parse(window.to) - Date.parse(window.from));
  return acts.endMaintenance({ workflowId: window.workflowId, at: nowIso(), by: endedBy ?? 'schedule' });
}
