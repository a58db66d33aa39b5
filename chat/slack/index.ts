/**
 * Slack as a chat platform: its worker half (the Web API client, the chat ledger, the activities that
 * post) and its server half (interactions and /incident, verified by Slack's signature).
 */
import { Pool } from 'pg';
import { temporalUiUrl } from '../../config/env';
import type { ChatPlatformModule } from '../platform';
import { createSlackActivities } from './activities';
import { createSlackClient } from './client';
import { registerSlackRoutes } from './interactions';
import { ChatLedger } from './ledger';

export const slack: ChatPlatformModule = {
  label: 'Slack',
  off: 'Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for incident channels, buttons and /incident.',

  worker(config, policy) {
    if (!config.SLACK_BOT_TOKEN) return undefined;
    // A small pool of its own: a storm of Slack syncs never takes a session a page is waiting for.
    const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, application_name: `${config.STORE_APPLICATION_NAME}-chat` });
    pool.on('error', () => undefined); // a lost idle session is replaced on next use
    const activities = createSlackActivities({
      slack: createSlackClient({ botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }),
      ledger: new ChatLedger(pool),
      slackPolicy: policy.chat.slack,
      teamChannels: Object.fromEntries(policy.teams.flatMap((t) => (t.chat?.slack ? [[t.id, t.chat.slack]] : []))),
      links: { temporalUi: temporalUiUrl(config), namespace: config.TEMPORAL_NAMESPACE },
    });
    return { ...activities, close: () => pool.end() };
  },

  // Slack's routes need its secrets, the store (replays, channels) and the identity secret (proofs).
  routes(config, pool, approvalKey) {
    if (!config.SLACK_BOT_TOKEN || !config.SLACK_SIGNING_SECRET || !pool || !config.IDENTITY_SECRET) return undefined;
    const deps = {
      signingSecret: config.SLACK_SIGNING_SECRET,
      identitySecret: config.IDENTITY_SECRET,
      approvalKey,
      ledger: new ChatLedger(pool),
      slack: createSlackClient({ botToken: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }),
      responseOrigins: ['https://hooks.slack.com', ...(config.SLACK_API_URL ? [new URL(config.SLACK_API_URL).origin] : [])],
    };
    return (app, context) => registerSlackRoutes(app, { ...context, ...deps });
  },
};
