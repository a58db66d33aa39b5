/** Effects: the escalation pages due now (decided in transitions.takeDueEscalations), sent; and backups due. */
import { workflowInfo } from '@temporalio/workflow';
import { pageMessage } from '../messages';
import { dueBackups, followUpStands } from './deadlines';
import { dedupKeys } from './dedup-keys';
import { pageLevel, sendToTargets, type Effects } from './paging';
import { deliverPlanned } from './send-at-once';
import { SYSTEM, record } from './state';
import { notePagedLevel, takeDueEscalations } from './transitions';

export async function runEscalations(fx: Effects): Promise<void> {
  const { m } = fx;
  const due = takeDueEscalations(m, fx.now());
  if (due.page.length === 0) return;
  const page = (e: (typeof due.page)[number]) =>
    pageLevel(fx, e.level, { dedupPrefix: dedupKeys.escalationPage(e.cycle, e.level), stopIfAcknowledged: true, cycle: e.cycle });
  // A level counts as paged when its page is out (a retried delivery can take a while): the repeat
  // interval runs from then, so nobody gets the same incident twice within it.
  const pageAndNote = async (e: (typeof due.page)[number]) => {
    await page(e);
    notePagedLevel(m, e.level, fx.now());
  };
  if (!due.oneByOne) {
    // On time: the pages of one step go out together (P0 pages every level at once).
    await Promise.all(due.page.map(pageAndNote));
  } else {
    for (const e of due.page) {
      if (m.state.status !== 'open') break;
      await pageAndNote(e);
    }
  }
}

/**
 * The backups of people whose page went unanswered for the policy's `backupAfter` (the plan's Backup
 * column), each once; the escalation path goes on as planned beside them.
 */
export async function runBackups(fx: Effects): Promise<void> {
  const { m } = fx;
  const due = dueBackups(m, fx.now());
  if (!due.length) return;
  const name = (id: string) => m.policy.contacts.find((c) => c.id === id)?.name ?? id;
  await Promise.all(
    due.map((id) => {
      m.book.backups!.paged.push(id);
      const backup = m.policy.contacts.find((c) => c.id === id)!.backup!;
      record(
        m,
        fx.now(),
        'escalation',
        SYSTEM,
        `No acknowledgement from ${name(id)} within ${m.policy.backupAfter}: paging their backup ${name(backup)}`,
      );
      const label = `Backup for ${name(id)}`;
      return sendToTargets(fx, [backup], {
        dedupPrefix: dedupKeys.backup(id),
        kind: 'page',
        message: pageMessage(m.policy, m.state, label, fx.now(), workflowInfo().workflowId),
        label,
        stopIfAcknowledged: true,
      });
    }),
  );
}

/**
 * The later channels of pages to people with notification rules, as they fall due. An acknowledgement
 * drops those of pages that stop at one; a resolution drops every one.
 */
export async function runFollowUps(fx: Effects): Promise<void> {
  const { m } = fx;
  const { book } = m;
  if (!book.followUps?.length) return;
  book.followUps = book.followUps.filter((f) => followUpStands(m, f));
  const now = fx.now();
  const due = book.followUps.filter((f) => f.atMs <= now);
  if (!due.length) return;
  book.followUps = book.followUps.filter((f) => f.atMs > now);
  const names = [...new Set(due.map((f) => f.payload.recipient.name))].join(', ');
  await deliverPlanned(
    fx,
    due.map(({ who, payload }) => ({ who, payload })),
    `Notification rules: ${names} by ${[...new Set(due.map((f) => f.payload.channel))].join(', ')}`,
  );
}
