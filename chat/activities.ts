/**
 * The chat activities the incident workflow names, over every platform this worker is connected to:
 * each platform mirrors the same neutral view, its problems named with it. Without a platform the
 * activities exist (the workflow names them) and say so.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType, type ChatPlatform, type ChatSyncResult, type ChatView, type EndOfDaySummary } from '../contract';
import type { ChatPlatformWorker } from './platform';
import { CHAT_PLATFORM_MODULES } from './registry';

export type ConnectedPlatforms = Partial<Record<ChatPlatform, ChatPlatformWorker>>;

export function createChatActivities(platforms: ConnectedPlatforms) {
  const connected = Object.entries(platforms) as [ChatPlatform, ChatPlatformWorker][];
  // Each platform says what turns it on (its `off` line, logged at start).
  const none = () =>
    ApplicationFailure.nonRetryable(
      `no chat platform is connected on this worker: ${Object.values(CHAT_PLATFORM_MODULES)
        .map((m) => m.off)
        .join(' ')}`,
      ErrorType.DeliveryRejected,
    );
  const named = (platform: ChatPlatform, problems: string[]) => problems.map((p) => `${CHAT_PLATFORM_MODULES[platform].label}: ${p}`);
  return {
    async syncIncidentChat(view: ChatView): Promise<ChatSyncResult> {
      if (!connected.length) throw none();
      let cursor = Number.MAX_SAFE_INTEGER;
      const problems: string[] = [];
      // One after the other: a retry finds what each has already posted in its ledger.
      for (const [platform, worker] of connected) {
        const result = await worker.syncIncidentChat(view);
        cursor = Math.min(cursor, result.cursor);
        problems.push(...named(platform, result.problems));
      }
      return { cursor, problems };
    },
    async archiveIncidentChat(input: { incidentNumber: number; incidentId: string }): Promise<{ archived: boolean }> {
      if (!connected.length) throw none();
      let archived = false;
      for (const [, worker] of connected) archived = (await worker.archiveIncidentChat(input)).archived || archived;
      return { archived };
    },
    async postEndOfDaySummary(input: { summary: EndOfDaySummary; now: string }): Promise<{ posted: boolean; problems: string[] }> {
      if (!connected.length) throw none();
      let posted = false;
      const problems: string[] = [];
      for (const [platform, worker] of connected) {
        const result = await worker.postEndOfDaySummary(input);
        posted = result.posted || posted;
        problems.push(...named(platform, result.problems));
      }
      return { posted, problems };
    },
  };
}
