import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM_PATH } from './activities';

/**
 * Resolves the policy's allowlist to absolute paths once, at worker start: a bare name is looked up
 * on the fixed system PATH only, never on the worker's own PATH.
 */
export function resolveExecutables(allowlist: Record<string, string>): {
  executables: Record<string, string>;
  missing: Record<string, string>;
} {
  const executables: Record<string, string> = {};
  const missing: Record<string, string> = {};
  for (const [name, target] of Object.entries(allowlist)) {
    const candidates = path.isAbsolute(target) ? [target] : SYSTEM_PATH.split(':').map((dir) => path.join(dir, target));
    const found = candidates.find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
    if (found) executables[name] = found;
    else missing[name] = path.isAbsolute(target) ? target : `${target} on ${SYSTEM_PATH}`;
  }
  return { executables, missing };
}
