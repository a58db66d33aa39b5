/**
 * The incident worker's activities, by concern: delivery (paging through the ledger), incidents
 * (opening, syncs, proofs, evidence), reviews, on-call and shift swaps, maintenance windows, and chat (every connected platform).
 */
import { createChatActivities } from '../chat/activities';
import { OnCallStore } from '../store/oncall-store';
import { createDeliveryActivities } from './delivery';
import type { ActivityDeps } from './deps';
import { createIncidentActivities } from './incidents';
import { createMaintenanceActivities } from './maintenance';
import { createOnCallActivities } from './oncall';
import { createReviewActivities } from './reviews';
import { createSwapActivities } from './swaps';

export type { ActivityDeps, ProofCheck } from './deps';

export function createActivities(deps: ActivityDeps) {
  const oncall = deps.oncall ?? new OnCallStore(deps.store.pool);
  return {
    ...createChatActivities(deps.chat ?? {}),
    ...createDeliveryActivities(deps),
    ...createIncidentActivities(deps, oncall),
    ...createReviewActivities(deps),
    ...createOnCallActivities(deps, oncall),
    ...createMaintenanceActivities(deps),
    ...createSwapActivities(deps, oncall),
  };
}

export type Activities = ReturnType<typeof createActivities>;
