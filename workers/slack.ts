import type { Pool } from 'pg';
import { temporalUiUrl, type AppConfig } from '../config/env';
import { ChatLedger } from '../activities/slack/chat-ledger';
import type { ChatDeps } from '../activities/slack/chat';
import { createSlackClient } from '../activities/slack/client';
import type { ResponsePolicy } from '../policy/schema';

/** The worker's Slack, when SLACK_BOT_TOKEN is set. */
export function chatDeps(config: AppConfig, policy: ResponsePolicy, pool: Pool): ChatDeps | undefined {
  if (!config.SLACK_BOT_TOKEN) return undefined;
  return {
    slack: createSlackClient({ botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }),
    ledger: new ChatLedger(pool),
    slackPolicy: policy.slack,
    links: { temporalUi: temporalUiUrl(config), namespace: config.TEMPORAL_NAMESPACE },
  };
}
