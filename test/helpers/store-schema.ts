import { Pool } from 'pg';
import { migrate } from '../../store/migrations';

export interface StoreSchema {
  /** `baseUrl` with the schema as its search_path. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated store schema of its own on `baseUrl`'s server: the run's (global setup) and a suite's
 * isolated one. `prepare` runs on the migrated schema before it is handed out.
 */
export async function createStoreSchema(baseUrl: string, schema: string, prepare?: (pool: Pool) => Promise<unknown>): Promise<StoreSchema> {
  const base = new URL(baseUrl);
  base.searchParams.delete('options');
  // Named as the orchestrator's own: runbook tests that end idle sessions must spare it.
  const admin = new Pool({ connectionString: base.toString(), max: 1, application_name: 'incident-orchestrator-test-admin' });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  await migrate(pool);
  await prepare?.(pool);
  await pool.end();
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}
