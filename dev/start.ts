/**
 * `npm start`: the whole system on embedded defaults. Starts (or reuses) a Temporal dev server
 * with its Web UI, the store (DATABASE_URL or an embedded PostgreSQL) and the worker.
 */
import path from 'node:path';
import { loadConfig, publicUrl, runbookDatabases } from '../config/env';
import { ensurePayloadKeysFile } from '../config/payload-keys';
import { persistedApprovalKeys } from '../config/approval-keys';
import { temporalConnection } from '../config/temporal-connection';
import { loadPolicy } from '../policy/load';
import { persistedSecret, startHttpServer, webhookAuth } from '../server/server';
import { startWorker } from '../workers/run';
import { installWorkerRuntime } from '../workers/runtime';
import { privateDataDir } from './data-dir';
import { supervise } from './supervise';
import { startSmtp } from './smtp-sink';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { ensureSearchAttributes, isTemporalUp, resolveTemporalCli, startDevServer, type DevServer } from './temporal-cli';

const log = (line: string) => console.log(line);

async function main() {
  const loaded = loadConfig();
  privateDataDir(path.resolve(loaded.DATA_DIR));
  // Acknowledge links need a signing secret; keep a generated one with the data.
  const config = {
    ...loaded,
    ACK_LINK_SECRET: loaded.ACK_LINK_SECRET ?? persistedSecret(path.resolve(loaded.DATA_DIR), 'ack-link-secret'),
    METRICS_TOKEN: loaded.METRICS_TOKEN ?? persistedSecret(path.resolve(loaded.DATA_DIR), 'metrics-token'),
    IDENTITY_SECRET: loaded.IDENTITY_SECRET ?? persistedSecret(path.resolve(loaded.DATA_DIR), 'identity-secret'),
    // Approvals runbook hosts check themselves: the server signs, the host (here, the same machine) verifies.
    ...(loaded.APPROVAL_SIGNING_KEY || loaded.APPROVAL_VERIFY_KEY ? {} : persistedApprovalKeys(loaded.DATA_DIR)),
    // The key every payload through Temporal is sealed with; incidentctl run here finds it in the same place.
    // Lets the Web UI (and `temporal --codec-endpoint`) show sealed payloads; the token stays in DATA_DIR.
    CODEC_TOKEN: loaded.CODEC_TOKEN ?? persistedSecret(path.resolve(loaded.DATA_DIR), 'codec-token'),
    PAYLOAD_KEYS_FILE: loaded.PAYLOAD_KEYS || loaded.PAYLOAD_KEYS_FILE ? loaded.PAYLOAD_KEYS_FILE : ensurePayloadKeysFile(loaded.DATA_DIR),
  };
  const policy = loadPolicy(config.POLICY_FILE); // fail fast, before starting anything
  installWorkerRuntime(config);
  const dataDir = path.resolve(config.DATA_DIR);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: Error) => console.error(e.message));
  };

  try {
    let server: DevServer | undefined;
    let uiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
    const temporal = temporalConnection(config);
    const codecEndpoint = `${publicUrl(config)}/codec/${config.CODEC_TOKEN}`;
    if (await isTemporalUp(temporal, config.TEMPORAL_NAMESPACE)) {
      log(`Using the Temporal server already running at ${config.TEMPORAL_ADDRESS}`);
      await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
    } else {
      const cli = await resolveTemporalCli(log);
      const port = Number(config.TEMPORAL_ADDRESS.split(':').pop());
      log(`Starting the Temporal dev server (${cli})...`);
      server = await startDevServer({
        cliPath: cli,
        port,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(dataDir, 'temporal.log'),
        uiCodecEndpoint: codecEndpoint,
      });
      uiUrl = server.uiUrl!;
      cleanups.push(() => server!.stop());
    }

    let databaseUrl = config.DATABASE_URL;
    let pg: EmbeddedPostgresHandle | undefined;
    if (!databaseUrl) {
      log(`Starting the embedded PostgreSQL on 127.0.0.1:${config.EMBEDDED_PG_PORT}...`);
      pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port: config.EMBEDDED_PG_PORT, log });
      databaseUrl = pg.url;
      cleanups.push(() => pg!.stop());
    }

    // Without SMTP_URL, a mail server of its own: pages go out as they would in production (acknowledge
    // link included) and land in the store's ledger, where `incidentctl inbox` shows them.
    let smtpUrl = config.SMTP_URL;
    if (!smtpUrl) {
      const sink = await startSmtp({ keep: false, onMail: (mail) => log(`mail to ${mail.to.join(', ')}: ${mail.subject}`) });
      smtpUrl = sink.url;
      cleanups.push(() => sink.close());
    }
    // The HTTP server first: links in messages point at the address it actually serves (unless PUBLIC_URL says).
    const { auth, generatedTokenFile } = webhookAuth(config, dataDir);
    const httpConfig = { ...config, DATABASE_URL: databaseUrl, SMTP_URL: smtpUrl };
    const http = await startHttpServer(httpConfig, policy, auth, log);
    cleanups.push(() => http.close());
    const workerConfig = { ...httpConfig, PUBLIC_URL: config.PUBLIC_URL ?? http.url };

    // Runbook steps run on this machine only when asked: RUNBOOK_HOST names the host it serves.
    // With the embedded store, its "app" database is the store's, reached through roles made for runbooks.
    const databases = { ...(pg ? { app: pg.runbook } : {}), ...runbookDatabases() };
    const runbooks = config.RUNBOOK_HOST ? { host: config.RUNBOOK_HOST, databases } : undefined;
    // The first start fails fast (bad settings); later failures restart the worker while the rest runs.
    let running: Promise<void> | undefined = (await startWorker(workerConfig, log, runbooks)).done;
    const done = supervise(
      'worker',
      async () => {
        const current = running ?? (await startWorker(workerConfig, log, runbooks)).done;
        running = undefined;
        await current;
      },
      log,
    );
    log(
      [
        '',
        'Incident orchestrator is running.',
        `  Temporal server: ${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE})`,
        `  Temporal Web UI: ${uiUrl}${server ? ' (shows incidents through the codec endpoint)' : ` (set its Codec Server to ${publicUrl(config)}/codec/<${path.join(dataDir, 'codec-token')}>)`}`,
        `  Payloads:        sealed with the key in ${config.PAYLOAD_KEYS_FILE ?? 'PAYLOAD_KEYS'}; temporal CLI: --codec-endpoint ${publicUrl(config)}/codec --codec-auth "Bearer $(cat ${path.join(dataDir, 'codec-token')})"`,
        `  Store:           ${pg ? `embedded PostgreSQL ${databaseUrl.replace(/:[^:@/]+@/, ':***@')} (data in ${path.join(dataDir, 'postgres')})` : 'DATABASE_URL'}`,
        `  Email:           ${config.SMTP_URL ? 'SMTP_URL' : `a local mail server (${smtpUrl}; SMTP_URL not set): read pages with \`npx incidentctl inbox\``}`,
        `  Slack:           ${config.SLACK_BOT_TOKEN ? `on; point the app's interactivity at ${http.url}/slack/interactions and /incident at ${http.url}/slack/commands (through PUBLIC_URL)` : 'off (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set)'}`,
        `  Runbooks:        ${policy.runbooks.definitions.length} runbooks; ${runbooks ? `steps for host "${runbooks.host}" run here, database "app" = ${databases.app === pg?.runbook ? 'the store, as runbook roles' : databases.app ? 'RUNBOOK_DB_APP' : 'not set (RUNBOOK_DB_APP)'}` : 'no commands run on this machine (set RUNBOOK_HOST=local to serve runbook steps here)'}`,
        `  Policy:          ${policy.name}${config.POLICY_FILE ? ` (${config.POLICY_FILE})` : ' (built-in defaults)'}`,
        `  Webhook:         POST ${http.url}/alertmanager (${auth.kind}${generatedTokenFile ? `, token in ${generatedTokenFile}` : ''}); also /healthz, /readyz, /metrics (bearer token in ${config.METRICS_TOKEN === loaded.METRICS_TOKEN ? 'METRICS_TOKEN' : path.join(dataDir, 'metrics-token')})`,
        `  Links:           ${workerConfig.PUBLIC_URL} (PUBLIC_URL${config.PUBLIC_URL ? '' : ' not set: the address served'})`,
        '',
        'In another terminal:',
        '  npx incidentctl declare --title "API 5xx spike" --severity P1 --service api',
        '  npx incidentctl list',
        '  npx incidentctl inbox          # the pages, with their acknowledge links',
        '',
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
    await done;
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
