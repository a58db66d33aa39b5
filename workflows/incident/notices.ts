/**
 * Effects: queued notices, drained first in, first out by the main loop, one handler per type.
 * Each says who hears of it, under which ledger key, with which message.
 */
import { condition, isCancellation, workflowInfo } from '@temporalio/workflow';
import { PUBLIC_STATE_LABELS, type Notice, type OnCallAnswer } from '../../contract';
import { applicableLevels } from './transitions';
import { notificationMessage, pageMessage } from '../messages';
import { dedupKeys } from './dedup-keys';
import { pageLevel, sendToTargets, type Effects } from './paging';
import { deliverPlanned, onCallNow } from './send-at-once';
import { SYSTEM, changed, record } from './state';
import { acts, withSummary } from './activity-proxies';
import { sendStatusUpdate } from './status-updates';

type Handlers = { [T in Notice['type']]: (fx: Effects, notice: Extract<Notice, { type: T }>) => Promise<void> };

const message = (fx: Effects, kind: Parameters<typeof notificationMessage>[3], detail?: string) =>
  notificationMessage(fx.m.policy, fx.m.state, fx.now(), kind, detail);

const handlers: Handlers = {
  async initial(fx) {
    const { policy, state, book } = fx.m;
    await sendToTargets(fx, policy.notify.statusUpdates, {
      dedupPrefix: dedupKeys.initial(),
      kind: 'notification',
      message: message(fx, 'initial'),
      label: 'Initial notification',
    });
    // Queued without waking the loop: it is drained in this same pass.
    if (policy.severities[state.severity].executiveNotifyWithin) book.notices.push({ type: 'executive' });
  },
  async executive(fx) {
    const { policy, book } = fx.m;
    if (book.executiveNotified) return;
    book.executiveNotified = true;
    await sendToTargets(fx, policy.notify.executives, {
      dedupPrefix: dedupKeys.executive(),
      kind: 'notification',
      message: message(fx, 'executive'),
      label: 'Executive notification',
    });
  },
  async phase(fx, n) {
    await sendToTargets(fx, fx.m.policy.notify.phaseChange, {
      dedupPrefix: dedupKeys.phase(n.phase),
      kind: 'notification',
      message: message(fx, 'phase', n.phase),
      label: `Phase ${n.phase}`,
    });
  },
  async 'manual-escalation'(fx, n) {
    await pageLevel(fx, n.level, { dedupPrefix: dedupKeys.manualPage(n.n, n.level), stopIfAcknowledged: false });
  },
  async responders(fx, n) {
    const { m } = fx;
    const onSchedules = n.target.startsWith('schedule:') ? { [n.target]: await onCallNow(fx, n.target) } : undefined;
    const label = `Brought in by ${n.by}`;
    await sendToTargets(fx, [n.target], {
      dedupPrefix: dedupKeys.responders(n.n),
      kind: 'page',
      message: pageMessage(m.policy, m.state, `${label}${n.reason ? `: ${n.reason}` : ''}`, fx.now(), workflowInfo().workflowId),
      label,
      stopIfAcknowledged: false,
      ...(onSchedules ? { onSchedules } : {}),
    });
  },
  async 'after-hours'(fx, n) {
    const { m } = fx;
    // The first level's people (a team's schedules as they stand now), told without a page.
    const level = applicableLevels(m)[0];
    if (level === undefined) return;
    const targets = m.policy.escalation.levels[level]!.targets;
    const onSchedules: Record<string, OnCallAnswer> = {};
    for (const t of targets.filter((t) => t.startsWith('schedule:'))) onSchedules[t] = await onCallNow(fx, t);
    await sendToTargets(fx, targets, {
      dedupPrefix: dedupKeys.afterHours(),
      kind: 'notification',
      message: message(fx, 'after-hours', n.text),
      label: 'Outside business hours',
      onSchedules,
    });
  },
  async breach(fx, n) {
    // The status page rule pages whoever writes public updates; other breaches notify as before.
    if (n.key === 'status-page') {
      await sendToTargets(fx, fx.m.policy.statusPage.remind, {
        dedupPrefix: dedupKeys.breach(n.key),
        kind: 'page',
        message: message(fx, 'breach', `${n.text}: post one now with incidentctl update ${fx.m.state.incidentId} --public`),
        label: 'Status page reminder',
      });
      return;
    }
    await sendToTargets(fx, fx.m.policy.notify.budgetBreach, {
      dedupPrefix: dedupKeys.breach(n.key),
      kind: 'notification',
      message: message(fx, 'breach', n.text),
      label: 'SLA breach',
    });
  },
  async 'public-update'(fx, n) {
    const { state } = fx.m;
    const update = state.publicUpdates?.[n.n - 1];
    if (!update) return;
    const outcome = await acts.notifySubscribers.executeWithOptions(withSummary(`Email public update ${n.n} to status page subscribers`), [
      {
        incidentNumber: state.number,
        incidentId: state.incidentId,
        n: n.n,
        title: state.publicTitle ?? 'Service disruption',
        state: PUBLIC_STATE_LABELS[update.state ?? 'investigating'],
        text: update.text,
      },
    ]);
    record(
      fx.m,
      fx.now(),
      'notification',
      SYSTEM,
      outcome.skipped
        ? `Public update ${n.n} not emailed: ${outcome.skipped}`
        : `Public update ${n.n} emailed to ${outcome.sent} subscribers`,
    );
  },
  async customers(fx) {
    const { policy, state } = fx.m;
    const { body } = message(fx, 'initial');
    const planned = policy.customerNotice.recipients.map((r, i) => ({
      payload: {
        incidentNumber: state.number,
        incidentId: state.incidentId,
        kind: 'notification' as const,
        dedupKey: dedupKeys.customers(i),
        recipient: { id: `customers-${i}`, name: r.name, email: r.email },
        channel: 'email' as const,
        // Customers read the public title once someone has published one.
        subject: `Service incident: ${state.publicTitle ?? state.title}`,
        body,
      },
      who: `${r.name} (customers)`,
    }));
    await deliverPlanned(fx, planned, `Customer email to ${planned.map((p) => p.payload.recipient.name).join(', ')}`);
  },
  async approval(fx, n) {
    // Chat offers the approval as buttons in the incident's channel (the chat lane posts it once).
    if (fx.m.book.chat && !fx.m.book.chat.approvals.some((a) => a.ref === n.ref)) {
      fx.m.book.chat.approvals.push({ ref: n.ref, text: n.subject });
      changed(fx.m);
    }
    await sendToTargets(fx, ['commander'], {
      dedupPrefix: dedupKeys.approval(n.ref),
      kind: 'page',
      message: { subject: n.subject, body: n.body, short: `${n.subject}. Approve: incidentctl approve ${fx.m.state.incidentId} ${n.ref}` },
      label: `Approval ${n.ref}`,
    });
  },
  async 'runbook-notify'(fx, n) {
    const { state } = fx.m;
    await sendToTargets(fx, n.targets, {
      dedupPrefix: dedupKeys.runbookNotify(n.ref),
      kind: 'notification',
      message: { subject: `[${state.incidentId}] ${n.text}`, body: `${state.incidentId}: ${state.title}\n\n${n.text}` },
      label: `Runbook ${n.ref}`,
    });
  },
  // Information for whoever runs the incident, once per host; never a page up the path.
  async 'runbook-trouble'(fx, n) {
    const { state } = fx.m;
    await sendToTargets(fx, [state.commander ? 'commander' : 'oncall'], {
      dedupPrefix: dedupKeys.runbookTrouble(n.host),
      kind: 'notification',
      message: {
        subject: `[${state.incidentId}] Runbook trouble on host ${n.host}`,
        body: `${state.incidentId}: ${state.title}\n\n${n.text}\n\nNothing escalates for this; further trouble on ${n.host} is on the timeline only (incidentctl show ${state.incidentId} --evidence).`,
      },
      label: `Runbook trouble on ${n.host}`,
    });
  },
  async 'status-update'(fx, n) {
    await sendStatusUpdate(fx, n.n);
  },
  async resolution(fx) {
    await sendToTargets(fx, fx.m.policy.notify.resolution, {
      dedupPrefix: dedupKeys.resolution(),
      kind: 'notification',
      message: message(fx, 'resolution'),
      label: 'Resolution',
    });
  },
};

const handle = (fx: Effects, n: Notice) => (handlers[n.type] as (fx: Effects, n: Notice) => Promise<void>)(fx, n);

/** Drains the queue, first in first out; notices queued while draining are sent in the same pass. */
/** Notices that page someone: the main loop sends them, beside escalations. */
export const isPageNotice = (n: Notice): boolean => n.type === 'manual-escalation' || n.type === 'approval' || n.type === 'responders';

/** Sends the queued notices `which` selects, first in first out, leaving the others queued. */
export async function runNoticesWhere(fx: Effects, which: (n: Notice) => boolean): Promise<void> {
  const { book } = fx.m;
  for (let i = book.notices.findIndex(which); i >= 0; i = book.notices.findIndex(which)) {
    const [n] = book.notices.splice(i, 1);
    fx.m.storeDirty = true;
    await handle(fx, n!);
  }
}

export interface NotificationLane {
  /** Nothing queued for the lane and nothing in flight. */
  idle(): boolean;
  /** A failure of the lane itself (never a failed delivery: those are on the timeline), for the main loop to raise. */
  failure(): unknown;
}

/**
 * Incidents send notifications (initial, executive, phase, breach, status updates, customers,
 * runbook news, resolution) on this lane, beside the main loop: a slow mail server or a delivery held by
 * a killed worker never delays a page. It wakes the main loop when it has drained the queue.
 */
export function startNotificationLane(fx: Effects): NotificationLane {
  const { m } = fx;
  const isLaneNotice = (n: Notice) => !isPageNotice(n);
  let busy = false;
  let failure: unknown;
  const lane = async () => {
    for (;;) {
      await condition(() => m.book.notices.some(isLaneNotice));
      busy = true;
      await runNoticesWhere(fx, isLaneNotice);
      busy = false;
      changed(m);
    }
  };
  lane().catch((error: unknown) => {
    // Cancellation ends the lane with the workflow; anything else is raised by the main loop.
    if (!isCancellation(error)) {
      failure = error ?? new Error('notification lane failed');
      changed(m);
    }
  });
  return { idle: () => !busy && !m.book.notices.some(isLaneNotice), failure: () => failure };
}
