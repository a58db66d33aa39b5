/**
 * Payloads through the client's data converter, for the few calls made with the raw service API
 * (the webhook's signalWithStart, visibility read one execution at a time): the same conversion and
 * codecs the SDK's own calls apply, so every payload is sealed and opened alike.
 */
import type { Client } from '@temporalio/client';
import { toPayloads, type Payload } from '@temporalio/common';

/** The values as sealed payloads: converted, then through each codec in order. */
export async function sealValues(client: Client, ...values: unknown[]): Promise<Payload[]> {
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  let payloads = toPayloads(payloadConverter, ...values) ?? [];
  for (const codec of payloadCodecs) payloads = await codec.encode(payloads);
  return payloads;
}

/** A sealed payload's value: through the codecs in reverse, then converted; throws when it does not open. */
export async function openPayload(client: Client, payload: Payload): Promise<unknown> {
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  let payloads = [payload];
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload(payloads[0]!);
}
