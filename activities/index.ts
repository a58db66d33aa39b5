/**
 * The incident worker's activities, by concern: delivery (paging through the ledger), incidents
 * (opening, syncs, proofs, evidence), reviews, on-call, maintenance windows, and chat (every connected platform).
 */
import { createChatActivities } from '../chat/activities';
import { OnCallStore } from '../store/oncall-store';
import { createDeliveryActivities } from './delivery';
import type { ActivityDeps } from './deps';
import { createIncidentActivities } from './incidents';
import { createMaintenanceActivities } from './maintenance';
import { createOnCallActivities } from './oncall';
import { createReviewActivities } from './reviews';

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
  };
}

export type Activities = ReturnType<typeof createActivities>;
