import { Pool } from 'pg';
import { temporalUiUrl, type AppConfig } from '../config/env';
import { ChatLedger } from '../adapters/slack/chat-ledger';
import type { ChatDeps } from '../adapters/slack/chat';
import { createSlackClient } from '../adapters/slack/client';
import type { ResponsePolicy } from '../policy/schema';

/**
 * The worker's Slack, when SLACK_BOT_TOKEN is set. The chat ledger has a small pool of its own: a
 * storm of Slack syncs never takes a session a page is waiting for.
 */
export function chatDeps(
  config: AppConfig & { DATABASE_URL: string },
  policy: ResponsePolicy,
): (ChatDeps & { close(): Promise<void> }) | undefined {
  if (!config.SLACK_BOT_TOKEN) return undefined;
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, application_name: `${config.STORE_APPLICATION_NAME}-chat` });
  pool.on('error', () => undefined); // a lost idle session is replaced on next use
  return {
    slack: createSlackClient({ botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }),
    ledger: new ChatLedger(pool),
    close: () => pool.end(),
    slackPolicy: policy.slack,
    links: { temporalUi: temporalUiUrl(config), namespace: config.TEMPORAL_NAMESPACE },
  };
}
