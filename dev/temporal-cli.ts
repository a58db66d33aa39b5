/**
 * Finds (or builds) the Temporal CLI and runs its dev server. Used by `npm start` and by the
 * tests' global setup, so both run the very same server.
 *
 * Resolution order: TEMPORAL_CLI, `temporal` on PATH, the per-user cache, a build with Go.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_SPECS, searchAttributes } from '../contract';
import type { TemporalConnectionSettings } from '../config/temporal-connection';
import { cacheRoot, cachedPath, findGo, goBinary, isExecutable, onPath, type GoBinary, type Log } from './go-binaries';

const settingsOf = (target: string | TemporalConnectionSettings): TemporalConnectionSettings =>
  typeof target === 'string' ? { address: target } : target;

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI: GoBinary = {
  module: 'github.com/temporalio/cli/cmd/temporal',
  version: TEMPORAL_CLI_VERSION,
  builtName: 'temporal',
  folder: `temporal-cli-${TEMPORAL_CLI_VERSION}`,
};

export { cacheRoot };

export async function resolveTemporalCli(log: Log = console.error): Promise<string> {
  const configured = process.env.TEMPORAL_CLI?.trim();
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`TEMPORAL_CLI=${configured} is not an executable file`);
    return configured;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  if (isExecutable(cachedPath(CLI)) || findGo()) return goBinary(CLI, log);
  throw new Error(
    [
      'The Temporal CLI was not found and Go is not installed to build it.',
      'Install it with one of:',
      '  - brew install temporal',
      '  - the release archive for your platform from https://github.com/temporalio/cli/releases (put `temporal` on PATH)',
      `  - go install ${CLI.module}@${TEMPORAL_CLI_VERSION}`,
      'or point TEMPORAL_CLI at an existing binary.',
    ].join('\n'),
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function isTemporalUp(target: string | TemporalConnectionSettings, namespace = 'default'): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...settingsOf(target), connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The only Host the dev server's HTTP API answers when it is off: a name no request carries. */
export const HTTP_API_OFF_HOST = 'http-api-off.invalid';

export interface DevServer {
  address: string;
  /** Temporal's HTTP API port (refused unless DevServerOptions.httpApi). */
  httpPort: number;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  port?: number;
  /** Omit for a headless server. */
  uiPort?: number;
  /** SQLite file that keeps incidents across restarts; omit for an in-memory server. */
  dbFile?: string;
  logFile?: string;
  /** Where the Web UI opens sealed payloads (our /codec endpoint, with its token in the path). */
  uiCodecEndpoint?: string;
  /**
   * Temporal's HTTP API (it takes cross-origin text/plain POSTs from any web page the local user opens):
   * refused for every Host unless asked for. Nothing here uses it; gRPC and the Web UI are unaffected.
   */
  httpApi?: boolean;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  // Ports are picked free, then released for the server to take: another process may take one first
  // (or, on a restart, the last server may not have let go of its port yet). The server then exits at
  // once, and is started again: on new ports, or on the port asked for after a second.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(options);
    } catch (error) {
      if (!(error instanceof ServerExited) || attempt >= 3) throw error;
      if (options.port) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

class ServerExited extends Error {}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  const httpPort = await freePort();
  args.push('--http-port', String(httpPort), '--metrics-port', String(await freePort()));
  if (!options.httpApi) args.push('--dynamic-config-value', `frontend.httpAllowedHosts=${JSON.stringify([HTTP_API_OFF_HOST])}`);
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  if (options.uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const spec of SEARCH_ATTRIBUTE_SPECS) args.push('--search-attribute', spec);
  args.push('--log-level', 'warn', ...(options.extraArgs ?? []));

  const out = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
  // A small shell keeps the server tied to us: when our end of its stdin closes (stop(), or this
  // process dying in any way, SIGKILL included), it stops the server. It ends when the server does,
  // so a server that could not start is seen at once.
  const watchdog = 'exec 3<&0; "$0" "$@" </dev/null & pid=$!; (cat <&3 >/dev/null; kill -TERM $pid 2>/dev/null) & wait $pid';
  const child = spawn('/bin/sh', ['-c', watchdog, options.cliPath, ...args], { stdio: ['pipe', out, out] });
  // Without a log file, the server's last words are kept for the error that reports its exit.
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    child.stdin?.end();
  });

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!(await isTemporalUp(address))) {
    if (exited) {
      const where = options.logFile ? `; see ${options.logFile}` : tail.trim() ? `:\n${tail.trim()}` : '';
      throw new ServerExited(`temporal server start-dev on ${address} ${exited}${where}`);
    }
    if (Date.now() > deadline) {
      child.stdin!.end();
      throw new Error(`temporal server start-dev did not become ready on ${address} in time`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    httpPort,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.end();
      }),
  };
}

// `npm run temporal:cli` resolves (building if needed) and prints the path.
if (require.main === module) {
  resolveTemporalCli()
    .then((cli) => console.log(cli))
    .catch((error: Error) => {
      console.error(error.message);
      process.exit(1);
    });
}

/** For a server this project did not start: register any missing search attribute. */
export async function ensureSearchAttributes(target: string | TemporalConnectionSettings, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ ...settingsOf(target), connectTimeout: 3000 });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
    const missing = Object.values(searchAttributes).filter((k) => !known.has(k.name));
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
        ),
      });
    }
    return missing.map((k) => k.name);
  } finally {
    await connection.close();
  }
}
