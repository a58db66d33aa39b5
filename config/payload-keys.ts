import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, newPayloadKeyLine, parsePayloadKeys, type PayloadKey } from '../security/payload-codec';
import { ConfigError, type AppConfig } from './env';

type KeyConfig = Pick<AppConfig, 'PAYLOAD_KEYS' | 'PAYLOAD_KEYS_FILE' | 'DATA_DIR'>;

/** The default place of the key file: npm start writes it there, and the CLI run beside it finds it. */
export const payloadKeysPath = (config: Pick<AppConfig, 'DATA_DIR'>) => path.resolve(config.DATA_DIR, 'payload-keys');

/** The payload keys, from PAYLOAD_KEYS, PAYLOAD_KEYS_FILE or DATA_DIR/payload-keys; a clear error naming the variable. */
export function payloadKeys(config: KeyConfig): PayloadKey[] {
  const fail = (variable: string, why: string) => new ConfigError(`invalid environment:\n  - ${variable}: ${why}`);
  if (config.PAYLOAD_KEYS) {
    try {
      return parsePayloadKeys(config.PAYLOAD_KEYS);
    } catch (error) {
      throw fail('PAYLOAD_KEYS', (error as Error).message);
    }
  }
  const file = config.PAYLOAD_KEYS_FILE ?? payloadKeysPath(config);
  const variable = config.PAYLOAD_KEYS_FILE ? 'PAYLOAD_KEYS_FILE' : 'PAYLOAD_KEYS';
  if (!config.PAYLOAD_KEYS_FILE && !existsSync(file))
    throw fail(
      'PAYLOAD_KEYS',
      `not set, and no ${file}: every worker and client seals Temporal payloads with the same key (npm start generates one there)`,
    );
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(variable, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return parsePayloadKeys(content);
  } catch (error) {
    throw fail(variable, `${file}: ${(error as Error).message}`);
  }
}

/** The key file in a data folder, made (0600, a fresh key) on first use: npm start and the cluster need no setup. */
export function ensurePayloadKeysFile(dataDir: string): string {
  const file = payloadKeysPath({ DATA_DIR: dataDir });
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process wrote meanwhile (payloads sealed with it would be lost).
    try {
      writeFileSync(file, `${newPayloadKeyLine()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return file;
}

/** What every Client and Worker of ours is given: payloads sealed with the first key, opened with any. */
export function dataConverter(config: KeyConfig): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(payloadKeys(config))] };
}
