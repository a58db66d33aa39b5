// `npm run cluster`: the production topology on this machine (see dev/cluster.ts); `-- --smoke` runs the
// smoke test against it and exits (CI). The only cluster code reading the environment.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { persistedSecret } from '../server/server';
import { ensurePayloadKeysFile } from '../config/payload-keys';
import { persistedApprovalKeys } from '../config/approval-keys';
import { startCluster } from './cluster';
import { revokeEarlierSmokeTokens, runClusterSmoke, writeSmokePolicy } from './cluster-smoke';
import { startSmtp } from './smtp-sink';

async function main() {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
  const dir = path.resolve(process.env.CLUSTER_DIR ?? '.data/cluster');
  const frontendPort = Number(process.env.CLUSTER_TEMPORAL_PORT ?? 17233);
  const httpBase = Number(process.env.CLUSTER_HTTP_PORT ?? 3001);
  // The smoke test reads pages from an in-process SMTP server; otherwise SMTP_URL as configured.
  const smtp = values.smoke ? await startSmtp() : undefined;
  const secrets = {
    WEBHOOK_TOKEN: process.env.WEBHOOK_TOKEN ?? persistedSecret(dir, 'webhook-token'),
    ACK_LINK_SECRET: process.env.ACK_LINK_SECRET ?? persistedSecret(dir, 'ack-link-secret'),
    METRICS_TOKEN: process.env.METRICS_TOKEN ?? persistedSecret(dir, 'metrics-token'),
    IDENTITY_SECRET: process.env.IDENTITY_SECRET ?? persistedSecret(dir, 'identity-secret'),
  };
  const appEnv: Record<string, string> = { ...secrets, ...persistedApprovalKeys(dir), DATA_DIR: dir };
  // Every process of the topology seals Temporal payloads with the same key (PAYLOAD_KEYS, else one kept in the data folder).
  if (process.env.PAYLOAD_KEYS) appEnv.PAYLOAD_KEYS = process.env.PAYLOAD_KEYS;
  else appEnv.PAYLOAD_KEYS_FILE = process.env.PAYLOAD_KEYS_FILE = ensurePayloadKeysFile(dir);
  if (smtp) appEnv.SMTP_URL = smtp.url;
  else if (process.env.SMTP_URL) appEnv.SMTP_URL = process.env.SMTP_URL;
  if (process.env.PUBLIC_URL) appEnv.PUBLIC_URL = process.env.PUBLIC_URL;
  if (values.smoke) appEnv.POLICY_FILE = writeSmokePolicy(dir);
  else if (process.env.POLICY_FILE) appEnv.POLICY_FILE = process.env.POLICY_FILE;

  const adminUrl = process.env.CLUSTER_DATABASE_URL ?? process.env.DATABASE_URL;
  if (values.smoke && adminUrl) await revokeEarlierSmokeTokens(adminUrl);
  const started = Date.now();
  const cluster = await startCluster({
    dir,
    adminUrl,
    frontendPort,
    uiPort: frontendPort + 1000,
    httpPorts: [httpBase, httpBase + 1],
    appEnv,
  });
  const shutdown = async () => {
    await cluster.stop();
    await smtp?.close();
  };
  console.log(
    [
      `Cluster up in ${Math.round((Date.now() - started) / 1000)} s (logs in ${dir}):`,
      `  Temporal frontend ${cluster.address} (history, matching, frontend, worker: one process each, on PostgreSQL)`,
      `  Web UI            http://127.0.0.1:${frontendPort + 1000}`,
      `  Workers           worker-1, worker-2 (task queue incidents), runbook-worker (host local)`,
      `  HTTP servers      http://127.0.0.1:${httpBase} and http://127.0.0.1:${httpBase + 1} (webhook token in ${path.join(dir, 'webhook-token')})`,
      `  Store             ${cluster.storeUrl.replace(/:[^:@/]+@/, ':***@')}`,
    ].join('\n'),
  );
  if (values.smoke) {
    try {
      const ok = await runClusterSmoke(cluster, {
        smtp: smtp!,
        httpPorts: [httpBase, httpBase + 1],
        webhookToken: secrets.WEBHOOK_TOKEN,
        dataDir: dir,
        publicUrl: appEnv.PUBLIC_URL,
      });
      process.exitCode = ok ? 0 : 1;
    } finally {
      await shutdown();
    }
    return;
  }
  console.log('Ctrl-C stops everything.');
  const stop = () => void shutdown().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
