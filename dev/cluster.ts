/**
 * The production topology on one machine, from binaries (`npm run cluster`): Temporal's four services
 * as separate processes on PostgreSQL, the Web UI, two incident workers, one runbook worker and two
 * HTTP servers, all from the compiled build. The same services as docker-compose.yml. Ctrl-C stops all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { Pool } from 'pg';
import { SEARCH_ATTRIBUTE_SPECS } from '../contract';
import { goBinary, goModuleFolder, type GoBinary, type Log } from './go-binaries';
import { ensureSearchAttributes, isTemporalUp, resolveTemporalCli } from './temporal-cli';
import { startEmbeddedPostgres } from './embedded-postgres';
import { privateDataDir } from './data-dir';
import { waitFor } from './probes';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_UI_VERSION = 'v2.42.1';
export const BINARIES = {
  server: {
    module: 'go.temporal.io/server/cmd/server',
    version: TEMPORAL_SERVER_VERSION,
    builtName: 'server',
    folder: `temporal-server-${TEMPORAL_SERVER_VERSION}`,
  },
  sqlTool: {
    module: 'go.temporal.io/server/cmd/tools/sql',
    version: TEMPORAL_SERVER_VERSION,
    builtName: 'sql',
    folder: `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`,
  },
  ui: {
    module: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: TEMPORAL_UI_VERSION,
    builtName: 'server',
    folder: `temporal-ui-${TEMPORAL_UI_VERSION}`,
  },
} satisfies Record<string, GoBinary>;

/** Temporal's services, each its own process; membership ports stay below 32768 (a smallint column). */
export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;

export interface ClusterSettings {
  dir: string;
  /** A PostgreSQL server URL whose user may create databases; the embedded one when unset. */
  adminUrl?: string;
  frontendPort: number;
  uiPort: number;
  httpPorts: [number, number];
  /** Database names start with it (default incident): another cluster on the same server needs its own. */
  databasePrefix?: string;
  /** Extra environment for the app processes (SMTP_URL, POLICY_FILE, tokens...). */
  appEnv: Record<string, string>;
}

export interface Cluster {
  address: string;
  storeUrl: string;
  processes: Map<string, ChildProcess>;
  /** Starts a stopped (or killed) process of the topology again, by name. */
  restart(name: string): void;
  stop(): Promise<void>;
}

const databases = (prefix: string) => ({
  temporal: `${prefix}_temporal`,
  visibility: `${prefix}_temporal_visibility`,
  store: `${prefix}_store`,
});
type Databases = ReturnType<typeof databases>;

function dbUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  url.searchParams.delete('options');
  return url.toString();
}

/** Databases and Temporal schemas, created once and brought up to the binary's version every time. */
async function prepareDatabases(adminUrl: string, DATABASES: Databases, sqlTool: string, schemaDir: string, log: Log): Promise<void> {
  const admin = new Pool({ connectionString: adminUrl, max: 1 });
  try {
    for (const name of Object.values(DATABASES)) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  const base = ['--plugin', 'postgres12', '--ep', url.hostname, '-p', url.port || '5432', '-u', decodeURIComponent(url.username)];
  if (url.password) base.push('--pw', decodeURIComponent(url.password));
  for (const [db, folder] of [
    [DATABASES.temporal, 'temporal'],
    [DATABASES.visibility, 'visibility'],
  ] as const) {
    const pool = new Pool({ connectionString: dbUrl(adminUrl, db), max: 1 });
    const { rowCount } = await pool.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'");
    await pool.end();
    const run = (args: string[]) => promisify(execFile)(sqlTool, [...base, '--db', db, ...args], { maxBuffer: 16 * 1024 * 1024 });
    if (!rowCount) await run(['setup-schema', '-v', '0.0']);
    await run(['update-schema', '-d', path.join(schemaDir, 'postgresql', 'v12', folder, 'versioned')]);
    log(`  schema ${db}: up to date`);
  }
}

/** One config for the four services (JSON is YAML); each process gets its own metrics port through a template. */
function writeTemporalConfig(dir: string, adminUrl: string, DATABASES: Databases, frontendPort: number): void {
  const url = new URL(adminUrl);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${url.hostname}:${url.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (offset: number, membership: number) => ({
    rpc: { grpcPort: frontendPort + offset, membershipPort: membership, bindOnLocalHost: true },
  });
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store(DATABASES.temporal, 20), visibility: store(DATABASES.visibility, 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: '127.0.0.1:{{ env `TEMPORAL_METRICS_PORT` }}' } },
    },
    services: {
      frontend: { rpc: { ...rpc(0, frontendPort - 300).rpc, httpPort: frontendPort + 10 } },
      history: rpc(1, frontendPort - 299),
      matching: rpc(2, frontendPort - 298),
      worker: rpc(6, frontendPort - 294),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${frontendPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: path.join(dir, 'config', 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
  mkdirSync(path.join(dir, 'config'), { recursive: true });
  writeFileSync(path.join(dir, 'config', 'cluster.yaml'), `# enable-template\n${JSON.stringify(config, null, 2)}\n`);
  // Search attributes are registered through the operator API; visibility on SQL allows these as Keywords.
  writeFileSync(path.join(dir, 'config', 'dynamicconfig.yaml'), 'system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n');
}

function writeUiConfig(dir: string, frontendPort: number, uiPort: number): void {
  const config = {
    temporalGrpcAddress: `127.0.0.1:${frontendPort}`,
    host: '127.0.0.1',
    port: uiPort,
    enableUi: true,
    defaultNamespace: 'default',
  };
  mkdirSync(path.join(dir, 'ui', 'config'), { recursive: true });
  writeFileSync(path.join(dir, 'ui', 'config', 'cluster.yaml'), `${JSON.stringify(config, null, 2)}\n`);
}

export async function startCluster(settings: ClusterSettings, log: Log = console.log): Promise<Cluster> {
  const root = path.resolve(__dirname, '..');
  const dist = (file: string) => {
    const compiled = path.join(root, 'dist', file);
    if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build first (npm install does)`);
    return compiled;
  };
  privateDataDir(settings.dir);
  const [server, sqlTool, ui] = [
    await goBinary(BINARIES.server, log),
    await goBinary(BINARIES.sqlTool, log),
    await goBinary(BINARIES.ui, log),
  ];
  const schemaDir = await goModuleFolder(
    'go.temporal.io/server',
    TEMPORAL_SERVER_VERSION,
    'schema',
    `temporal-server-${TEMPORAL_SERVER_VERSION}/schema`,
  );
  const temporalCli = await resolveTemporalCli(log);

  const processes = new Map<string, ChildProcess>();
  const commands = new Map<string, { command: string; args: string[]; env: Record<string, string>; cwd?: string }>();
  const stops: (() => Promise<void>)[] = [];
  const launch = (name: string) => {
    const spec = commands.get(name)!;
    const logFd = openSync(path.join(settings.dir, `${name}.log`), 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? root,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', logFd, logFd],
    });
    processes.set(name, child);
    return child;
  };
  const define = (name: string, command: string, args: string[], env: Record<string, string> = {}, cwd?: string) => {
    commands.set(name, { command, args, env, cwd });
    launch(name);
  };

  let adminUrl = settings.adminUrl;
  if (!adminUrl) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(settings.dir, 'postgres'),
      port: settings.frontendPort + 20,
      log,
      dirSetting: 'CLUSTER_DIR',
    });
    stops.push(() => pg.stop());
    adminUrl = pg.adminUrl;
  }
  log('Temporal databases and schemas on PostgreSQL:');
  const DATABASES = databases(settings.databasePrefix ?? 'incident');
  await prepareDatabases(adminUrl, DATABASES, sqlTool, schemaDir, log);
  writeTemporalConfig(settings.dir, adminUrl, DATABASES, settings.frontendPort);
  writeUiConfig(settings.dir, settings.frontendPort, settings.uiPort);

  const stop = async () => {
    for (const [name, child] of [...processes].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      processes.delete(name);
    }
    for (const s of stops.reverse()) await s();
  };
  const address = `127.0.0.1:${settings.frontendPort}`;
  // A start that fails part-way stops what it started: nothing is left holding ports or databases.
  let storeUrl: string;
  try {
    TEMPORAL_SERVICES.forEach((service, i) =>
      define(
        `temporal-${service}`,
        server,
        ['--root', settings.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start', '--service', service],
        {
          TEMPORAL_METRICS_PORT: String(settings.frontendPort + 30 + i),
        },
      ),
    );
    // Temporal's services race to write the cluster's metadata into a database that has none yet: one that
    // lost the race exits at start, and is started again (twice at most) instead of failing the cluster.
    const restarts = new Map<string, number>();
    const exited = () => {
      const dead = [...processes].find(([, child]) => child.exitCode !== null);
      if (!dead) return;
      const [name] = dead;
      if (name.startsWith('temporal-') && name !== 'temporal-ui' && (restarts.get(name) ?? 0) < 2) {
        restarts.set(name, (restarts.get(name) ?? 0) + 1);
        log(`  ${name} exited at start; starting it again`);
        launch(name);
        return;
      }
      throw new Error(`${name} exited with ${dead[1].exitCode}: see ${path.join(settings.dir, `${name}.log`)}`);
    };
    await waitFor(
      'the Temporal frontend',
      async () => (exited(), (await isTemporalUp(address, 'temporal-system')) || (await isTemporalUp(address))),
      120_000,
    );
    if (!(await isTemporalUp(address))) {
      await promisify(execFile)(temporalCli, [
        'operator',
        'namespace',
        'create',
        '--namespace',
        'default',
        '--retention',
        '72h',
        '--address',
        address,
      ]);
    }
    await waitFor('the default namespace', () => isTemporalUp(address), 60_000);
    // A new namespace reaches every service's namespace cache within seconds: retry until it has.
    let registered: string[] | undefined;
    await waitFor(
      'the search attributes',
      async () => {
        registered = await ensureSearchAttributes(address, 'default').catch(() => undefined);
        return registered !== undefined;
      },
      60_000,
    );
    log(
      `  search attributes: ${registered?.length ? `${registered.join(', ')} registered` : `${SEARCH_ATTRIBUTE_SPECS.length} already there`}`,
    );
    define('temporal-ui', ui, ['--root', path.join(settings.dir, 'ui'), '--config', 'config', '--env', 'cluster', 'start']);

    storeUrl = dbUrl(adminUrl, DATABASES.store);
    const app = {
      // Links in messages: the first HTTP server (a load balancer's address in front of both goes in PUBLIC_URL).
      PUBLIC_URL: `http://127.0.0.1:${settings.httpPorts[0]}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${settings.uiPort}`,
      ...settings.appEnv,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: storeUrl,
      TASK_QUEUE: 'incidents',
      LOG_LEVEL: 'warn',
    };
    define('worker-1', process.execPath, [dist('workers/main.js')], {
      ...app,
      WORKER_RUNBOOK_STEPS: 'off', // the runbook worker below serves them, as in docker-compose.yml
      WORKER_METRICS_ADDRESS: `127.0.0.1:${settings.frontendPort + 41}`,
    });
    define('worker-2', process.execPath, [dist('workers/main.js')], {
      ...app,
      WORKER_RUNBOOK_STEPS: 'off',
      WORKER_METRICS_ADDRESS: `127.0.0.1:${settings.frontendPort + 42}`,
    });
    define('runbook-worker', process.execPath, [dist('workers/main.js'), '--runbook-host', 'local'], app);
    settings.httpPorts.forEach((port, i) =>
      define(`http-${i + 1}`, process.execPath, [dist('server/main.js')], {
        ...app,
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
      }),
    );

    // Ready when every worker says it serves and every HTTP server answers /readyz.
    const logOf = (name: string) =>
      existsSync(path.join(settings.dir, `${name}.log`)) ? readFileSync(path.join(settings.dir, `${name}.log`), 'utf8') : '';
    for (const name of ['worker-1', 'worker-2', 'runbook-worker'])
      await waitFor(name, () => (exited(), /serving task queue|Worker serving/i.test(logOf(name))), 90_000);
    for (const port of settings.httpPorts)
      await waitFor(
        `the HTTP server on ${port}`,
        async () => (exited(), (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true),
        60_000,
      );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    storeUrl,
    processes,
    restart(name: string) {
      launch(name);
    },
    stop,
  };
}
