// HTTP server entry point: `npm run http` serves the Alertmanager webhook, acknowledge links, the status
// page and /metrics on its own, apart from the worker (several can run side by side; they hold no state).
import { loadConfig } from '../config/env';
import { loadPolicy } from '../policy/load';
import { startHttpServer, webhookAuth } from './server';

async function main() {
  const config = loadConfig();
  const policy = loadPolicy(config.POLICY_FILE);
  const { auth } = webhookAuth(config);
  const http = await startHttpServer(config, policy, auth);
  console.log(`HTTP server listening on ${http.url} (Temporal ${config.TEMPORAL_ADDRESS})`);
  const stop = () => void http.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
