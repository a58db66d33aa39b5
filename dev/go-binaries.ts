/**
 * Binaries built once per machine with `go install` into the per-user cache (no downloads but the Go
 * module proxy): the Temporal CLI, and for `npm run cluster` the Temporal server, its SQL schema tool
 * and the Web UI server.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export type Log = (line: string) => void;

export function cacheRoot(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'incident-orchestrator');
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export const findGo = () => onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);

export interface GoBinary {
  /** The Go package path, e.g. go.temporal.io/server/cmd/server. */
  module: string;
  version: string;
  /** The name `go install` gives the binary (the package's last element). */
  builtName: string;
  /** Where it is kept: <cache>/<folder>/<builtName>. */
  folder: string;
}

export const cachedPath = (b: GoBinary) => path.join(cacheRoot(), b.folder, b.builtName);

/** The cached binary, built first when missing; a clear error when Go is not there to build it. */
export async function goBinary(b: GoBinary, log: Log): Promise<string> {
  const cached = cachedPath(b);
  if (isExecutable(cached)) return cached;
  const go = findGo();
  if (!go)
    throw new Error(
      `${b.module}@${b.version} is not in ${path.dirname(cached)} and Go is not installed to build it (go install ${b.module}@${b.version})`,
    );
  log(`Building ${b.module}@${b.version} with Go into ${path.dirname(cached)} (once per machine, a few minutes on 2 cores)...`);
  mkdirSync(path.dirname(cached), { recursive: true });
  // Build into a private folder, then rename: a concurrent start never sees a half-written binary.
  const gobin = mkdtempSync(path.join(path.dirname(cached), 'build-'));
  const started = Date.now();
  try {
    await promisify(execFile)(go, ['install', `${b.module}@${b.version}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod' },
      maxBuffer: 64 * 1024 * 1024,
    });
    renameSync(path.join(gobin, b.builtName), cached);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`go install ${b.module}@${b.version} failed:\n${stderr || (error as Error).message}`, { cause: error });
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`Built in ${Math.round((Date.now() - started) / 1000)}s: ${cached}`);
  return cached;
}

/** A folder of a Go module's source (e.g. the server's SQL schemas), copied once into the cache. */
export async function goModuleFolder(modulePath: string, version: string, folder: string, into: string): Promise<string> {
  const target = path.join(cacheRoot(), into);
  if (existsSync(target)) return target;
  const go = findGo();
  if (!go) throw new Error(`${modulePath}@${version}/${folder} is not in ${target} and Go is not installed to fetch it`);
  const { stdout } = await promisify(execFile)(go, ['env', 'GOMODCACHE']);
  const source = path.join(stdout.trim(), `${modulePath}@${version}`, folder);
  if (!existsSync(source))
    await promisify(execFile)(go, ['mod', 'download', `${modulePath}@${version}`], { env: { ...process.env, GOFLAGS: '-mod=mod' } });
  cpSync(source, target, { recursive: true });
  return target;
}
