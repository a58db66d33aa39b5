/**
 * A workflow's history as JSON a replayer reads: exported with the Temporal CLI (the same JSON a user
 * gets from `temporal workflow show --output json`), its sealed payloads opened with the run's key,
 * since the key is made for the run and the history must replay long after it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../dev/temporal-cli';
import { ENCRYPTED_ENCODING, EncryptionCodec, parsePayloadKeys } from '../../security/payload-codec';

async function openPayloads(value: unknown, codec: EncryptionCodec): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => openPayloads(v, codec)));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const metadata = o.metadata as Record<string, string> | undefined;
  if (metadata && typeof metadata.encoding === 'string' && Buffer.from(metadata.encoding, 'base64').toString() === ENCRYPTED_ENCODING) {
    const sealed = {
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(typeof o.data === 'string' ? o.data : '', 'base64'),
    };
    const [plain] = await codec.decode([sealed]);
    return {
      metadata: Object.fromEntries(Object.entries(plain!.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(plain!.data ?? new Uint8Array()).toString('base64'),
    };
  }
  return Object.fromEntries(await Promise.all(Object.entries(o).map(async ([k, v]) => [k, await openPayloads(v, codec)] as const)));
}

export async function exportHistory(address: string, workflowId: string, runId?: string): Promise<unknown> {
  const runArgs = runId ? ['--run-id', runId] : [];
  const { stdout } = await promisify(execFile)(
    await resolveTemporalCli(),
    ['workflow', 'show', '--workflow-id', workflowId, ...runArgs, '--output', 'json', '--address', address],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return openPayloads(JSON.parse(stdout), new EncryptionCodec(parsePayloadKeys(process.env.PAYLOAD_KEYS ?? '')));
}
