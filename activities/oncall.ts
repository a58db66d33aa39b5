/**
 * Who is on call (the rotation with the store's overrides), and the overrides themselves.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType, type OnCallAnswer, type Override } from '../contract';
import type { ResponsePolicy } from '../policy/schema';
import type { Schedule } from '../policy/teams-schema';
import type { ShiftOverride } from '../policy/schedules';
import { noSuchSchedule } from '../policy/teams';
import type { NewOverride, OnCallStore } from '../store/oncall-store';
import type { ActivityDeps } from './deps';

export function createOnCallActivities(deps: ActivityDeps, oncall: OnCallStore) {
  return {
    /** Who is on call at `at`: overrides from the store over the incident's rotation snapshot. */
    async whoIsOnCall(input: { oncall: ResponsePolicy['oncall']; at: string }): Promise<{ now: OnCallAnswer; next: OnCallAnswer }> {
      return oncall.whoAt({ oncall: input.oncall }, Date.parse(input.at));
    },

    /** Who a team's schedule (from the incident's policy snapshot) has on call at `at`, its overrides on top. */
    async whoIsOnSchedule(input: { schedule: Schedule; at: string }): Promise<OnCallAnswer> {
      return oncall.whoOnSchedule(input.schedule, Date.parse(input.at));
    },

    /** A schedule's overrides (and accepted swaps) touching a window, oldest first: `schedule show` lays them over the layers. */
    async scheduleOverrides(input: { schedule: string; from: string; to: string }): Promise<ShiftOverride[]> {
      return (await oncall.overridesOn([input.schedule], Date.parse(input.from), Date.parse(input.to)))[input.schedule] ?? [];
    },

    /** `incidentctl override list|delete`. */
    async onCallOverrides(request: { op: 'list'; at: string } | { op: 'delete'; id: string }): Promise<Override[]> {
      if (request.op === 'list') return oncall.listOverrides(Date.parse(request.at));
      const deleted = await oncall.deleteOverride(request.id);
      if (!deleted) throw ApplicationFailure.nonRetryable(`no override ${request.id}; see incidentctl override list`, ErrorType.NotFound);
      return [deleted];
    },

    async addOnCallOverride(input: NewOverride): Promise<Override> {
      if (!deps.policy.contacts.some((c) => c.id === input.contactId)) {
        throw ApplicationFailure.nonRetryable(
          `unknown contact "${input.contactId}"; contacts: ${deps.policy.contacts.map((c) => c.id).join(', ')}`,
          ErrorType.InvalidInput,
        );
      }
      if (input.schedule !== undefined && !deps.policy.schedules.some((s) => s.id === input.schedule))
        throw ApplicationFailure.nonRetryable(noSuchSchedule(deps.policy, input.schedule), ErrorType.InvalidInput);
      return oncall.addOverride(input);
    },
  };
}
