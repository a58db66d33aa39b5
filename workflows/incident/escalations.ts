/** Effects: the escalation pages due now (decided in transitions.takeDueEscalations), sent. */
import { dedupKeys } from './dedup-keys';
import { pageLevel, type Effects } from './paging';
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
