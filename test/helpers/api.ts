import { randomUUID } from 'node:crypto';
import { OnCallStore } from '../../store/oncall-store';
import { IntegrationStore } from '../../store/integration-store';
import { newToken, tokenHash, TokenStore } from '../../security/identity';
import type { ResponsePolicy } from '../../policy/schema';
import { TEST_IDENTITY_SECRET, type TestEnv } from './harness';
import { startWebhook, type TestWebhook } from './webhook';

export interface TestApi {
  web: TestWebhook;
  /** incidentctl's settings for acting through the API as `person` (verified, "token"). */
  as(person: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The HTTP API on a port of its own, for flows that need a verified person (approvals a runbook host
 * checks itself). Tokens are put in the store directly, as an admin would have made them.
 */
export async function startTestApi(env: TestEnv, taskQueue: string, policy: ResponsePolicy): Promise<TestApi> {
  const tokens = new TokenStore(env.pool);
  const oncall = new OnCallStore(env.pool);
  const integrations = new IntegrationStore(env.pool);
  const web = await startWebhook(env.client, taskQueue, policy, 5000, undefined, {
    api: { tokens, integrations, identitySecret: TEST_IDENTITY_SECRET },
    integrations,
    calendarOverrides: oncall.overridesOn.bind(oncall),
  });
  return {
    web,
    async as(person) {
      const token = newToken();
      await tokens.create({
        id: `tok_${randomUUID().slice(0, 8)}`,
        person,
        label: 'test',
        hash: tokenHash(token),
        createdBy: 'test setup',
      });
      return { TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue, INCIDENT_API_URL: web.url, INCIDENT_TOKEN: token };
    },
    close: () => web.close(),
  };
}
