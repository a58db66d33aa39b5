import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The data folder holds contacts, timelines, runbook evidence and secrets: private to its owner.
 * Called before anything writes there; the process umask then keeps new files 0600 whoever creates
 * them (the Temporal dev server, the embedded PostgreSQL), and files left by older versions are closed.
 */
export function privateDataDir(dir: string): void {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // PostgreSQL keeps its own cluster folder private, owned by the user it runs as.
    if (entry.name === 'postgres') continue;
    chmodSync(path.join(dir, entry.name), entry.isDirectory() ? 0o700 : 0o600);
  }
}
