/**
 * Effects: queued notices, drained first in, first out by the main loop, one handler per type.
 * Each says who hears of it, under which ledger key, with which message.
 */
import type { Notice } from '../../contract';
import { notificationMessage } from '../messages';
import { dedupKeys } from './dedup-keys';
import { deliverOne, pageLevel, sendToTargets, type Effects } from './paging';

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
  async breach(fx, n) {
    await sendToTargets(fx, fx.m.policy.notify.budgetBreach, {
      dedupPrefix: dedupKeys.breach(n.key),
      kind: 'notification',
      message: message(fx, 'breach', n.text),
      label: 'SLA breach',
    });
  },
  async customers(fx) {
    const { policy, state } = fx.m;
    const { body } = message(fx, 'initial');
    await Promise.all(
      policy.customerNotice.recipients.map((r, i) =>
        deliverOne(
          fx,
          {
            incidentNumber: state.number,
            incidentId: state.incidentId,
            kind: 'notification',
            dedupKey: dedupKeys.customers(i),
            recipient: { id: `customers-${i}`, name: r.name, email: r.email },
            channel: 'email',
            subject: `Service incident: ${state.title}`,
            body,
          },
          `${r.name} (customers)`,
          `Customer email to ${r.name}`,
        ),
      ),
    );
  },
  async approval(fx, n) {
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
  async resolution(fx) {
    await sendToTargets(fx, fx.m.policy.notify.resolution, {
      dedupPrefix: dedupKeys.resolution(),
      kind: 'notification',
      message: message(fx, 'resolution'),
      label: 'Resolution',
    });
  },
};

/** Drains the queue, first in first out; notices queued while draining are sent in the same pass. */
export async function runNotices(fx: Effects): Promise<void> {
  const { book } = fx.m;
  while (book.notices.length > 0) {
    const n = book.notices.shift()!;
    // The store hears of the drained queue; the loop need not wake for it.
    fx.m.storeDirty = true;
    await (handlers[n.type] as (fx: Effects, n: Notice) => Promise<void>)(fx, n);
  }
}
