/**
 * Every payload that goes through Temporal (workflow input, activity arguments and results, signals,
 * updates, queries, memos) is sealed with AES-256-GCM before it leaves a client or worker, as in
 * Temporal's encryption sample. Histories are unreadable without a key, and a payload made without
 * one fails to decode: a client or worker that lacks the key can neither read an incident nor answer
 * for one. Search attributes are not payloads and stay readable (docs/security.md).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey {
  /** Named in every payload it sealed, so keys can rotate: new payloads use the first key, old ones still open. */
  id: string;
  key: Buffer;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('a payload codec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`payload key "${k.id}" is not 32 bytes`);
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.current = keys[0]!;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => this.seal(p)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => this.open(p)));
  }

  private seal(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated too: a payload cannot be relabelled to another key.
    cipher.setAAD(Buffer.from(this.current.id));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.current.id) },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const encoding = text(payload.metadata?.[METADATA_ENCODING_KEY]);
    if (encoding !== ENCRYPTED_ENCODING) {
      throw new ValueError(
        `refused a payload that is not encrypted (encoding ${encoding ?? 'none'}): it was not made with the payload key`,
      );
    }
    const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
    const key = this.byId.get(id);
    if (!key) throw new ValueError(`refused a payload sealed with an unknown key "${id}"`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('refused a payload too short to be sealed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new ValueError(`refused a payload that does not open with key "${id}" (altered, or sealed with another key)`);
    }
  }
}

/** `id:base64` entries (32-byte keys), separated by commas or new lines; the first seals. */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec
    .split(/[\n,]/)
    .map((e) => e.trim())
    .filter((e) => e && !e.startsWith('#'));
  if (entries.length === 0) throw new Error('no keys (expected id:base64 of 32 bytes)');
  const seen = new Set<string>();
  return entries.map((entry) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!/^[\w.-]{1,64}$/.test(id)) throw new Error(`"${entry.slice(0, 12)}…" has no key id (expected id:base64)`);
    if (seen.has(id)) throw new Error(`key id "${id}" appears twice`);
    seen.add(id);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" is ${key.length} bytes, not 32`);
    return { id, key };
  });
}

/** A new key line, as `npm start` writes it into the data folder. */
export const newPayloadKeyLine = (id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`) =>
  `${id}:${randomBytes(32).toString('base64')}`;
