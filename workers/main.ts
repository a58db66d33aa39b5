// Worker entry point: `npm run worker`. Needs DATABASE_URL; `npm start` runs everything instead.
import { loadConfig } from '../config/env';
import { startWorker } from './run';

async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL)
    throw new Error('DATABASE_URL must be set to run a standalone worker (npm start embeds a database when it is unset)');
  const { done } = await startWorker({ ...config, DATABASE_URL: config.DATABASE_URL });
  await done;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
