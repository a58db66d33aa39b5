/**
 * Effects: the chat lane (every chat platform the worker is connected to). Beside the main loop, like the notification lane: after each change
 * it hands the worker the incident as chat should show it (chatView), one sync at a time, so a burst
 * of events becomes one post and a slow or rate-limited platform never delays a page. Every post goes
 * through the ledger (a retried sync or a restarted worker posts nothing twice and updates the pinned
 * summary in place).
 */
import { condition, isCancellation, workflowInfo, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ChatView } from '../../contract';
import { activityOptions, type IncidentActivities } from './activity-proxies';
import { chatView } from './chat-view';
import { planDeadlines } from './deadlines';
import type { Effects } from './paging';
import { SYSTEM, record } from './state';

/**
 * Platforms rate-limit (Slack answers `ratelimited` with Retry-After and the client waits it out, and
 * shared channels take one message a second): a sync may take a while (it heartbeats while it waits, so an attempt given up
 * on stops before posting). After 10 minutes of failures the lane says so on the timeline and tries
 * again at the next change.
 */
const chatOptions: ActivityOptions = {
  ...activityOptions,
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  summary: 'Mirror the incident in chat',
};
const chat = proxyActivities<IncidentActivities>(chatOptions);

export interface ChatLane {
  /** Chat shows the incident as it is now (or chat is off). */
  idle(): boolean;
}

/** Nothing to sync when only the next deadline moved while resolved, or nothing at all changed. */
const viewKey = (v: ChatView) => JSON.stringify(v);

export function startChatLane(fx: Effects): ChatLane {
  const { m } = fx;
  const { workflowId } = workflowInfo();
  let lastKey = '';
  let busy = false;
  const current = () => chatView(m, workflowId, planDeadlines(m).deadlines);
  // Pages first: chat starts once the first page is out (or the incident is past needing one), so a
  // sync never competes with it for the worker or the store.
  const pageOut = () => Object.keys(m.book.levelPagedAtMs ?? {}).length > 0 || m.state.status !== 'open';
  const pending = () => {
    if (!pageOut()) return false;
    const view = current();
    return view !== undefined && viewKey(view) !== lastKey;
  };
  const lane = async () => {
    for (;;) {
      await condition(pending);
      const view = current()!;
      busy = true;
      try {
        const result = await chat.syncIncidentChat(view);
        lastKey = viewKey(view);
        m.book.chat!.cursor = Math.max(m.book.chat!.cursor, result.cursor);
        for (const problem of result.problems.filter((p) => !m.book.chat!.problems.includes(p))) {
          m.book.chat!.problems.push(problem);
          record(m, fx.now(), 'warning', SYSTEM, problem);
        }
      } catch (error) {
        if (isCancellation(error)) throw error;
        // Chat down for 10 minutes, or refusing for good: said once, then tried again at the next change.
        lastKey = viewKey(view);
        const problem = `not updated (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : String(error)})`;
        if (!m.book.chat!.problems.includes(problem)) {
          m.book.chat!.problems.push(problem);
          record(m, fx.now(), 'warning', SYSTEM, `Chat: ${problem}`);
        }
      } finally {
        busy = false;
      }
    }
  };
  lane().catch((error: unknown) => {
    if (!isCancellation(error)) throw error;
  });
  return { idle: () => !busy && !pending() };
}
