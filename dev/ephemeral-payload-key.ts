import type { DataConverter } from '@temporalio/common';
import { dataConverter } from '../config/payload-keys';
import { newPayloadKeyLine } from '../security/payload-codec';

/**
 * Tests, benchmarks and the drill run Temporal of their own: one key for the run, put in the
 * environment so every process they start (workers, servers, the CLI) seals with it too.
 */
export function ephemeralDataConverter(): DataConverter {
  process.env.PAYLOAD_KEYS ||= newPayloadKeyLine('run');
  return dataConverter({ PAYLOAD_KEYS: process.env.PAYLOAD_KEYS, PAYLOAD_KEYS_FILE: undefined, DATA_DIR: '.data' });
}
