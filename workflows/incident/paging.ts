/**
 * Effects: pages and notifications to the people a target list names, with every outcome on the
 * timeline: each batch at once (send-at-once.ts). Who and which key are decided by the caller.
 */
import { workflowInfo } from '@temporalio/workflow';
import { pageMessage } from '../messages';
import { resolveTargets } from '../recipients';
import { dedupKeys } from './dedup-keys';
import { applicableLevels } from './transitions';
import { SYSTEM, record } from './state';
import { escalationKey } from '../escalation';
import { onCallNow, sendAtOnce } from './send-at-once';
import type { Effects, TargetOptions } from './delivery';

export type { Effects, Message, SendOptions, TargetOptions } from './delivery';

/** Everyone the targets name (roles, contacts, "oncall", "commander"), in parallel. */
export async function sendToTargets(fx: Effects, targets: string[], o: TargetOptions): Promise<void> {
  const { m } = fx;
  const { recipients, unresolved } = resolveTargets(m.policy, targets, { nowMs: fx.now(), commander: m.state.commander, onCall: o.onCall });
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
  if (def.targets.includes('oncall')) {
    const now = await onCallNow(fx);
    onCall = now;
    if (!now.contactId) {
      const next = applicableLevels(m).find((l) => l > level);
      record(
        m,
        fx.now(),
        'warning',
        SYSTEM,
        `Nobody is on call (rotation gap until ${now.to})${next !== undefined ? `: paging ${m.policy.escalation.levels[next]!.name} instead` : ''}`,
      );
      if (next !== undefined) {
        m.book.paged.push(escalationKey(o.cycle ?? m.state.escalationCycle, next));
        m.state.escalationLevel = Math.max(m.state.escalationLevel, next);
        await pageLevel(fx, next, { ...o, dedupPrefix: dedupKeys.gapPage(o.dedupPrefix, next) });
      }
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
  });
}
