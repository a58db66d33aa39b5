/**
 * The official Slack Web API client, as workers and the HTTP server use it. It waits out `ratelimited`
 * answers (Retry-After) and retries network trouble itself; what Slack refuses comes back as a
 * platform error naming why (`channel_not_found`).
 */
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';

export interface SlackSettings {
  botToken: string;
  /** Slack's own by default; a stand-in's in tests (the client's documented slackApiUrl option). */
  apiUrl?: string;
}

export function createSlackClient(settings: SlackSettings): WebClient {
  return new WebClient(settings.botToken, {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl.replace(/\/?$/, '/') } : {}),
    // A handful of quick retries inside one activity attempt; Temporal retries the attempt after that.
    retryConfig: { retries: 6, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
    timeout: 15_000,
    logLevel: LogLevel.ERROR,
    // Only our own slackApiUrl: a method name can never send the token elsewhere.
    allowAbsoluteUrls: false,
  });
}

/** Slack's reason for refusing a call (`channel_not_found`), or undefined for any other failure. */
export function slackRefusal(error: unknown): string | undefined {
  const e = error as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? (e.data?.error ?? 'unknown_error') : undefined;
}

/** Refusals no retry can mend for the whole workspace: the token or app is wrong. */
export const FATAL_REFUSALS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'team_access_not_granted',
]);
