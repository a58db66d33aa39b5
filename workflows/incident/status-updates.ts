/** Effects: the status update due now (decided in transitions.takeDueStatusUpdate), sent or queued. */
import { notificationMessage } from '../messages';
import { dedupKeys } from './dedup-keys';
import { sendToTargets, type Effects } from './paging';
import { queueNotice } from './state';
import { takeDueStatusUpdate } from './transitions';

/** Status update number `n` to the policy's status-update audience. */
export async function sendStatusUpdate(fx: Effects, n: number): Promise<void> {
  const { m } = fx;
  await sendToTargets(fx, m.policy.notify.statusUpdates, {
    dedupPrefix: dedupKeys.statusUpdate(n),
    kind: 'notification',
    message: notificationMessage(m.policy, m.state, fx.now(), 'status'),
    label: `Status update #${n}`,
    // Snapshots taken before this setting existed have none: email, as then.
    notificationChannels: m.policy.statusUpdateChannels ?? ['email'],
  });
}

/** The due status update goes to the notification lane; the main loop goes on. */
export function queueDueStatusUpdate(fx: Effects): void {
  const due = takeDueStatusUpdate(fx.m, fx.now());
  if (due) queueNotice(fx.m, { type: 'status-update', n: due.n });
}
