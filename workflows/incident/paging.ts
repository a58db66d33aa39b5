/**
 * Effects: pages and notifications to the people a target list names, with every outcome on the
 * timeline: each batch at once (send-at-once.ts). Who and which key are decided by the caller.
 */
import { workflowInfo } from '@temporalio/workflow';
import { pageMessage } from '../messages';
import { resolveTargets } from '../../policy/recipients';
import { dedupKeys } from './dedup-keys';
import { applicableLevels } from './transitions';
import { SYSTEM, record } from './state';
import { escalationKey } from '../escalation';
import { onCallNow, sendAtOnce } from './send-at-once';
import type { Effects, TargetOptions } from './delivery';
import type { OnCallAnswer } from '../../contract';

export type { Effects, Message, SendOptions, TargetOptions } from './delivery';

/** Everyone the targets name (roles, contacts, "oncall", "commander"), in parallel. */
export async function sendToTargets(fx: Effects, named: string[], o: TargetOptions): Promise<void> {
  const { m } = fx;
  // In an incident of a team, "the on-call" (notify lists, runbook trouble) is its team's schedule.
  const teamOnCall = m.state.team && m.policy.teams?.find((t) => t.id === m.state.team)?.schedule;
  const targets = teamOnCall ? named.map((t) => (t === 'oncall' ? `schedule:${teamOnCall}` : t)) : named;
  const { recipients, unresolved } = resolveTargets(m.policy, targets, {
    nowMs: fx.now(),
    commander: m.state.commander,
    onCall: o.onCall,
    onSchedules: o.onSchedules,
  });
  for (const target of unresolved) record(m, fx.now(), 'warning', SYSTEM, `${o.label}: nobody to notify for "${target}"`);
  await sendAtOnce(fx, recipients, o);
}

export interface PageLevelOptions {
  dedupPrefix: string;
  stopIfAcknowledged: boolean;
  /** The plan's cycle of an automatic page; manual pages take the incident's current cycle. */
  cycle?: number;
}

/** Pages one level of the escalation path; a rotation gap pages the next level instead. */
export async function pageLevel(fx: Effects, level: number, o: PageLevelOptions): Promise<void> {
  const { m } = fx;
  const def = m.policy.escalation.levels[level]!;
  let onCall: { contactId?: string; source: string } | undefined;
  // "The on-call engineer" is resolved at the moment of paging, overrides from the store included.
  // (Each gap awaits its page inline: a running incident's history holds the order of its commands.)
  if (def.targets.includes('oncall')) {
    const now = await onCallNow(fx);
    onCall = now;
    if (!now.contactId) {
      const next = gapInstead(fx, level, o, `rotation gap until ${now.to}`);
      if (next !== undefined) await pageLevel(fx, next, { ...o, dedupPrefix: dedupKeys.gapPage(o.dedupPrefix, next) });
      return;
    }
  }
  // A team's schedules likewise; a level whose schedules all have nobody (and names nobody else) is a gap.
  const scheduleTargets = def.targets.filter((t) => t.startsWith('schedule:'));
  let onSchedules: Record<string, OnCallAnswer> | undefined;
  if (scheduleTargets.length) {
    onSchedules = {};
    for (const target of scheduleTargets) onSchedules[target] = await onCallNow(fx, target);
    const answers = Object.values(onSchedules);
    if (scheduleTargets.length === def.targets.length && answers.every((a) => !a.contactId)) {
      const why = `${scheduleTargets.map((t) => t.slice(9)).join(', ')}: a gap until ${answers[0]!.to}`;
      const next = gapInstead(fx, level, o, why);
      if (next !== undefined) await pageLevel(fx, next, { ...o, dedupPrefix: dedupKeys.gapPage(o.dedupPrefix, next) });
      return;
    }
  }
  await sendToTargets(fx, def.targets, {
    dedupPrefix: o.dedupPrefix,
    kind: 'page',
    message: pageMessage(m.policy, m.state, def.name, fx.now(), workflowInfo().workflowId),
    label: def.name,
    stopIfAcknowledged: o.stopIfAcknowledged,
    onCall,
    ...(onSchedules ? { onSchedules } : {}),
  });
}

/** Nobody on call at this level: the next applicable level takes its place (returned), and the timeline says so. */
function gapInstead(fx: Effects, level: number, o: PageLevelOptions, why: string): number | undefined {
  const { m } = fx;
  const next = applicableLevels(m).find((l) => l > level);
  record(
    m,
    fx.now(),
    'warning',
    SYSTEM,
    `Nobody is on call (${why})${next !== undefined ? `: paging ${m.policy.escalation.levels[next]!.name} instead` : ''}`,
  );
  if (next === undefined) return undefined;
  m.book.paged.push(escalationKey(o.cycle ?? m.state.escalationCycle, next));
  m.state.escalationLevel = Math.max(m.state.escalationLevel, next);
  return next;
}
