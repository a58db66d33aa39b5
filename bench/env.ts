import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Pool } from 'pg';
import { migrate } from '../store/migrations';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort, resolveTemporalCli, startDevServer, type DevServer, type DevServerOptions } from '../dev/temporal-cli';

export interface BenchEnv {
  address: string;
  /** The dev server, and how to start it again (on the same SQLite file when `sqlite` was asked for). */
  server: DevServer;
  serverOptions: DevServerOptions;
  /** The store's URL (its own schema on the search path), for processes started by the caller. */
  dbUrl: string;
  /** A session outside that schema, for administration (ending sessions, say). */
  admin: Pool;
  dir: string;
  /** The store, migrated, in a schema of its own that is dropped at the end. */
  db: Pool;
  /** Run in reverse order at the end, whatever happened. */
  cleanups: (() => Promise<unknown>)[];
  close(): Promise<void>;
}

let runtimeInstalled = false;

/** A dev server of its own and a store (TEST_DATABASE_URL, DATABASE_URL or an embedded PostgreSQL). */
export async function openBenchEnv(
  name: string,
  dbOptions: { application_name?: string } = {},
  options: { sqlite?: boolean } = {},
): Promise<BenchEnv> {
  runtimeInstalled ||= (Runtime.install({ logger: new DefaultLogger('ERROR') }), true);
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: Error) => console.error(`cleanup: ${e.message}`));
  };
  try {
    const serverOptions: DevServerOptions = {
      cliPath: await resolveTemporalCli(),
      logFile: path.join(dir, 'temporal.log'),
      ...(options.sqlite ? { port: await freePort(), dbFile: path.join(dir, 'temporal.sqlite') } : {}),
    };
    const server = await startDevServer(serverOptions);
    cleanups.push(() => server.stop());
    let dbUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (!dbUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
      cleanups.push(() => pg.stop());
      dbUrl = pg.url;
    }
    const schema = `${name.replace(/-/g, '_')}_${process.pid}`;
    const admin = new Pool({ connectionString: dbUrl, max: 2, ...dbOptions });
    admin.on('error', () => undefined);
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    });
    const url = new URL(dbUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const db = new Pool({ connectionString: url.toString(), max: 10, ...dbOptions });
    db.on('error', () => undefined);
    cleanups.push(() => db.end());
    await migrate(db);
    return { address: server.address, server, serverOptions, dbUrl: url.toString(), admin, dir, db, cleanups, close };
  } catch (error) {
    await close();
    throw error;
  }
}
