/**
 * The codec endpoint (Temporal's remote codec protocol): the Temporal Web UI and the `temporal` CLI
 * show sealed incidents to operators who hold the codec token, without ever holding the key.
 *   temporal workflow show -w ID --codec-endpoint URL/codec --codec-auth "Bearer $CODEC_TOKEN"
 * The UI cannot send our header, so it is given URL/codec/<token> (npm start does this for the dev UI).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { authorized } from './auth';

export interface CodecRoutesDeps {
  codec: PayloadCodec;
  /** Without a token the endpoint is off (404). */
  token?: string;
  /** Browser origins allowed to call it (the Temporal Web UI's). */
  uiOrigins: string[];
}

const CODEC_BODY_LIMIT = 8 * 1024 * 1024;
const base64 = z.string().regex(/^[A-Za-z0-9+/=_-]*$/, 'base64');
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
});

const toPayload = (p: z.infer<typeof bodySchema>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Codec tokens in paths are credentials: logged as [redacted]. */
export const redactCodecPath = (url: string) => url.replace(/^\/codec\/(?!encode\b|decode\b)[^/?#]+/, '/codec/[redacted]');

export function registerCodecRoutes(app: FastifyInstance, deps: CodecRoutesDeps): void {
  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin && deps.uiOrigins.includes(origin)) {
      void reply
        .header('access-control-allow-origin', origin)
        .header('vary', 'origin')
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
        .header('access-control-max-age', '600');
    }
  };
  const allowed = (request: FastifyRequest<{ Params: { token?: string } }>) =>
    Boolean(
      deps.token &&
      (request.params.token !== undefined
        ? authorized({ kind: 'bearer', token: deps.token }, `Bearer ${request.params.token}`)
        : authorized({ kind: 'bearer', token: deps.token }, request.headers.authorization)),
    );

  void app.register((scope, _opts, next) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: CODEC_BODY_LIMIT }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (error) {
        done(Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
    for (const path of ['/codec/:op', '/codec/:token/:op']) {
      scope.options(path, (request, reply) => {
        cors(request, reply);
        return reply.code(204).send();
      });
      scope.post<{ Params: { token?: string; op: string } }>(
        path,
        {
          bodyLimit: CODEC_BODY_LIMIT,
          // The token before a byte of the body is read.
          onRequest: (request, reply, done) => {
            cors(request, reply);
            const params = request.params;
            if (!deps.token) return void reply.code(404).send({ error: 'the codec endpoint is off: set CODEC_TOKEN' });
            if (params.op !== 'encode' && params.op !== 'decode')
              return void reply.code(404).send({ error: 'expected /encode or /decode' });
            if (!allowed(request)) return void reply.code(401).header('connection', 'close').send({ error: 'missing or bad codec token' });
            done();
          },
        },
        async (request, reply) => {
          const parsed = bodySchema.safeParse(request.body);
          if (!parsed.success)
            return reply
              .code(400)
              .send({ error: `invalid codec request: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}` });
          const payloads = parsed.data.payloads.map(toPayload);
          try {
            if (request.params.op === 'encode') return { payloads: (await deps.codec.encode(payloads)).map(fromPayload) };
            // One payload that does not open (sealed before encryption, or with a retired key) is shown as it is,
            // not the whole event refused.
            const out = await Promise.all(
              payloads.map((p) =>
                deps.codec.decode([p]).then(
                  ([d]) => d!,
                  () => p,
                ),
              ),
            );
            return { payloads: out.map(fromPayload) };
          } catch (error) {
            return reply.code(400).send({ error: (error as Error).message });
          }
        },
      );
    }
    next();
  });
}
