import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../server/app';
import { registerSlackRoutes, type SlackRoutesDeps } from '../../chat/slack/interactions';
import type { ResponsePolicy } from '../../policy/schema';
import { testApprovalKeys } from './harness';

export const WEBHOOK_TOKEN = 'webhook-test-token';
export const METRICS_TOKEN = 'metrics-test-token';

export interface TestWebhook {
  app: FastifyInstance;
  url: string;
  post(payload: object): Promise<{ status: number; body: Record<string, any> }>;
  close(): Promise<void>;
}

/** The real HTTP app on an ephemeral port. */
export async function startWebhook(
  client: Client,
  taskQueue: string,
  policy: ResponsePolicy,
  temporalDeadlineMs = 5000,
  acknowledge?: AppDeps['acknowledge'],
  extra: Partial<AppDeps> & { slack?: Omit<SlackRoutesDeps, 'client' | 'policy' | 'taskQueue'> } = {},
): Promise<TestWebhook> {
  const app = buildApp({
    client,
    taskQueue,
    policy,
    auth: { kind: 'bearer', token: WEBHOOK_TOKEN },
    temporalDeadlineMs,
    acknowledge,
    metricsToken: METRICS_TOKEN,
    ...extra,
    // Verified approvals are signed for runbook hosts with the run's approval key.
    ...(extra.api ? { api: { approvalKey: testApprovalKeys().signing, ...extra.api } } : {}),
    ...(extra.slack
      ? { chat: [(app, context) => registerSlackRoutes(app, { ...context, approvalKey: testApprovalKeys().signing, ...extra.slack! })] }
      : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    async post(payload) {
      const response = await fetch(`${url}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body: JSON.stringify(payload),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    },
    close: () => app.close(),
  };
}
