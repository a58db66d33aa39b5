/**
 * Shift swaps (`incidentctl swap`): asking someone to take over a shift, and their answer, which makes
 * the swap an override. Who may ask and answer is checked here against this worker's policy and store.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType, type ShiftSwap } from '../contract';
import { noSuchSchedule } from '../policy/teams';
import type { OnCallStore } from '../store/oncall-store';
import { SwapStore } from '../store/swap-store';
import type { ActivityDeps } from './deps';

const invalid = (message: string) => ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);

export function createSwapActivities(deps: ActivityDeps, oncall: OnCallStore) {
  const swaps = new SwapStore(deps.store.pool);
  const contact = (id: string) => deps.policy.contacts.find((c) => c.id === id || c.name === id);
  const contactIds = () => deps.policy.contacts.map((c) => c.id).join(', ');

  return {
    /**
     * A request to take over `requester`'s shift on a schedule: the one at `at`, or the window from/to
     * (the requester must be on call when it starts). Returns it pending, with both people's addresses.
     */
    async requestSwap(input: {
      schedule: string;
      requester: string;
      taker: string;
      from?: string;
      to?: string;
      at?: string;
      reason?: string;
      by: string;
      requestId: string;
    }): Promise<ShiftSwap> {
      const schedule = deps.policy.schedules.find((s) => s.id === input.schedule);
      if (!schedule) throw invalid(noSuchSchedule(deps.policy, input.schedule));
      const requester = contact(input.requester);
      if (!requester)
        throw invalid(`who asks: "${input.requester}" is not a contact; pass --as <contact id> (${contactIds()}) or use an API token`);
      const taker = contact(input.taker);
      if (!taker) throw invalid(`--with: unknown contact "${input.taker}"; contacts: ${contactIds()}`);
      if (taker.id === requester.id) throw invalid(`--with: ${taker.id} cannot take over their own shift`);
      const startsAt = Date.parse(input.at ?? input.from!);
      const onCall = await oncall.whoOnSchedule(schedule, startsAt);
      if (onCall.contactId !== requester.id)
        throw invalid(
          `${requester.id} is not on call on ${schedule.id} at ${new Date(startsAt).toISOString()} (${onCall.contactId ?? 'nobody'} is): only a shift of your own can be swapped`,
        );
      const from = input.at ? onCall.from : input.from!;
      const to = input.at ? onCall.to : input.to!;
      if (Date.parse(to) <= Date.now()) throw invalid(`that shift ended at ${to}`);
      return swaps.add({
        schedule: schedule.id,
        requester: requester.id,
        taker: taker.id,
        from,
        to,
        ...(input.reason ? { reason: input.reason } : {}),
        by: input.by,
        requestId: input.requestId,
      });
    },

    /**
     * The answer to a pending swap: the person asked accepts (it becomes an override) or declines; the
     * one who asked may cancel. `actor` is who answers (a verified contact id, or the name as written).
     * A retried answer returns the swap as it stands.
     */
    async decideSwap(input: {
      id: string;
      decision: 'accepted' | 'declined' | 'cancelled';
      actor: string;
      by: string;
    }): Promise<ShiftSwap> {
      const swap = await swaps.get(input.id);
      if (!swap) throw ApplicationFailure.nonRetryable(`no swap ${input.id}; see incidentctl swap list`, ErrorType.NotFound);
      if (swap.status === input.decision) return swap;
      if (swap.status !== 'pending') throw invalid(`${swap.id} was ${swap.status} already (by ${swap.decidedBy})`);
      const must = input.decision === 'cancelled' ? swap.requester : swap.taker;
      if (contact(input.actor)?.id !== must)
        throw ApplicationFailure.nonRetryable(
          `${swap.id} is ${must}'s to ${input.decision === 'cancelled' ? 'cancel' : 'answer'}, not ${input.actor}'s`,
          ErrorType.Forbidden,
        );
      return (await swaps.decide(swap.id, input.decision, input.by))!;
    },

    /** Swaps whose window has not ended, soonest first. */
    listSwaps(input: { at: string }): Promise<ShiftSwap[]> {
      return swaps.list(Date.parse(input.at));
    },
  };
}
