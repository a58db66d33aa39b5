import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { newApprovalKeyPair, signingKey, verifyKey } from '../security/approval-grant';
import { ConfigError, type AppConfig } from './env';

const parsed = (variable: string, value: string | undefined, parse: (v: string) => KeyObject): KeyObject | undefined => {
  if (!value) return undefined;
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError(`invalid environment:\n  - ${variable}: not a base64 Ed25519 key (${(error as Error).message.split('\n')[0]})`);
  }
};

/** The HTTP server's half: it signs approvals of verified approvers. */
export const approvalSigningKey = (config: Pick<AppConfig, 'APPROVAL_SIGNING_KEY'>) =>
  parsed('APPROVAL_SIGNING_KEY', config.APPROVAL_SIGNING_KEY, signingKey);

/** A runbook host's half: it checks approvals of the steps its own policy gates. */
export const approvalVerifyKey = (config: Pick<AppConfig, 'APPROVAL_VERIFY_KEY'>) =>
  parsed('APPROVAL_VERIFY_KEY', config.APPROVAL_VERIFY_KEY, verifyKey);

/** A pair kept in a data folder (0600), made on first use: npm start and the cluster need no setup. */
export function persistedApprovalKeys(dataDir: string): { APPROVAL_SIGNING_KEY: string; APPROVAL_VERIFY_KEY: string } {
  const signing = path.resolve(dataDir, 'approval-signing-key');
  const verify = path.resolve(dataDir, 'approval-verify-key');
  if (!existsSync(signing) || !existsSync(verify)) {
    mkdirSync(path.dirname(signing), { recursive: true, mode: 0o700 });
    const pair = newApprovalKeyPair();
    writeFileSync(signing, pair.signing, { mode: 0o600 });
    writeFileSync(verify, pair.verify, { mode: 0o600 });
  }
  return { APPROVAL_SIGNING_KEY: readFileSync(signing, 'utf8').trim(), APPROVAL_VERIFY_KEY: readFileSync(verify, 'utf8').trim() };
}
