/** Effects: the status update due now (decided in transitions.takeDueStatusUpdate), sent. */
import { notificationMessage } from '../messages';
import { dedupKeys } from './dedup-keys';
import { sendToTargets, type Effects } from './paging';
import { takeDueStatusUpdate } from './transitions';

export async function runStatusUpdates(fx: Effects): Promise<void> {
  const { m } = fx;
  const due = takeDueStatusUpdate(m, fx.now());
  if (!due) return;
  await sendToTargets(fx, m.policy.notify.statusUpdates, {
    dedupPrefix: dedupKeys.statusUpdate(due.n),
    kind: 'notification',
    message: notificationMessage(m.policy, m.state, fx.now(), 'status'),
    label: `Status update #${due.n}`,
    // Snapshots taken before this setting existed have none: email, as then.
    notificationChannels: m.policy.statusUpdateChannels ?? ['email'],
  });
}
