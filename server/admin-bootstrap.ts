/**
 * The first admin. While no admin of the policy holds a live token, the HTTP server offers a one-time
 * code, kept only on the machine it runs on: a file in DATA_DIR that only its owner can read, and its
 * SHA-256 in the store. `incidentctl token bootstrap --for ADMIN --code-file FILE` trades it for that
 * admin's first token; from then on admins make everyone else's through the API. Reaching Temporal,
 * or the HTTP port, gives no way to a token.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tokenHash, type TokenStore } from '../security/identity';
import { adminIds } from '../policy/admins';
import type { ResponsePolicy } from '../policy/schema';

export const BOOTSTRAP_CODE_FILE = 'admin-bootstrap-code';
const CODE_TTL_MS = 24 * 3600_000;

export type BootstrapOffer = { offered: 'file'; file: string; admins: string[] } | { offered: 'pending' | 'not-needed' };

/** Offers a code when one is needed; retried by the caller while the store's tables are not there yet. */
export async function offerAdminBootstrap(tokens: TokenStore, policy: ResponsePolicy, dataDir: string): Promise<BootstrapOffer> {
  const admins = adminIds(policy);
  const file = path.resolve(dataDir, BOOTSTRAP_CODE_FILE);
  if (admins.length === 0 || (await tokens.anyLiveTokenOf(admins))) {
    rmSync(file, { force: true });
    return { offered: 'not-needed' };
  }
  const code = `boot_${randomBytes(24).toString('base64url')}`;
  // Only one pending code at a time: another server (or an earlier start) may hold the one in force.
  if (!(await tokens.offerBootstrap(tokenHash(code), CODE_TTL_MS))) return { offered: 'pending' };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  rmSync(file, { force: true });
  writeFileSync(file, `${code}\n`, { mode: 0o600, flag: 'wx' });
  return { offered: 'file', file, admins };
}

/** Tries until the store answers (workers create its tables), then says what to do in one line. */
export function offerAdminBootstrapInBackground(
  tokens: TokenStore,
  policy: ResponsePolicy,
  dataDir: string,
  log: (line: string) => void,
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = (left: number) => {
    offerAdminBootstrap(tokens, policy, dataDir).then(
      (offer) => {
        if (offer.offered === 'file')
          log(
            `No admin has an API token yet: \`incidentctl token bootstrap --for ${offer.admins[0]} --code-file ${offer.file}\` makes the first (once, within 24 h; admins: ${offer.admins.join(', ')})`,
          );
        else if (offer.offered === 'pending')
          log('No admin has an API token yet: a bootstrap code is pending (see the first HTTP server to start).');
      },
      (error: Error) => {
        if (!stopped && left > 0) timer = setTimeout(() => attempt(left - 1), 2000);
        else if (!stopped) log(`Could not offer the admin bootstrap code: ${error.message}`);
      },
    );
  };
  attempt(30);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
