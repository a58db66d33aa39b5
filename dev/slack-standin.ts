/**
 * A stand-in of Slack's Web API on 127.0.0.1, reached by the real WebClient through its slackApiUrl
 * option: the methods we call, with Slack's response shapes (`ok`, `error`, `channel`, `ts`), its
 * refusals (`channel_not_found`, `name_taken`, `already_in_channel`, `invalid_auth`) and its rate
 * limit (HTTP 429 `ratelimited` with Retry-After). Also the response_url hooks Slack gives requests.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SLACK_STANDIN_TOKEN = 'xoxb-standin-token';

export interface StandinChannel {
  id: string;
  name: string;
  topic: string;
  archived: boolean;
  members: string[];
  pins: string[];
}

export interface StandinMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  /** Message metadata (event_type, event_payload), returned by history calls that ask for it. */
  metadata?: unknown;
  updates: number;
}

export interface StandinCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
}

export interface SlackStandin {
  /** The slackApiUrl: http://127.0.0.1:PORT/api/ */
  apiUrl: string;
  origin: string;
  calls: StandinCall[];
  channels: Map<string, StandinChannel>;
  messages: StandinMessage[];
  /** Bodies posted to response_url hooks. */
  responses: { path: string; body: Record<string, unknown> }[];
  /** A response_url for a request we post. */
  responseUrl(id: string): string;
  /** The next `count` calls answer 429 `ratelimited` with this Retry-After. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void;
  channelByName(name: string): StandinChannel | undefined;
  inChannel(channelId: string): StandinMessage[];
  close(): Promise<void>;
}

export const STANDIN_CHANNELS = { incidents: 'C0INCIDENTS', onCall: 'C0ONCALL', engineering: 'C0ENGINEERING' } as const;

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata']);
/** A form field as text (JSON fields come back as JSON). */
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

export async function startSlackStandin(port = 0): Promise<SlackStandin> {
  const calls: StandinCall[] = [];
  const channels = new Map<string, StandinChannel>();
  const messages: StandinMessage[] = [];
  const responses: SlackStandin['responses'] = [];
  let rateLimited = { count: 0, retryAfter: 1 };
  let nextChannel = 1;
  let nextTs = 1;
  const add = (id: string, name: string) => channels.set(id, { id, name, topic: '', archived: false, members: [], pins: [] });
  add(STANDIN_CHANNELS.incidents, 'incidents');
  add(STANDIN_CHANNELS.onCall, 'on-call');
  add(STANDIN_CHANNELS.engineering, 'engineering');
  const byName = (name: string) => [...channels.values()].find((c) => c.name === name);
  const resolve = (ref: unknown) => {
    const s = str(ref);
    return s.startsWith('#') ? byName(s.slice(1)) : channels.get(s);
  };

  const history = (a: Record<string, unknown>, inView: (m: StandinMessage) => boolean) => {
    const oldest = Number(str(a.oldest) || 0);
    const found = messages.filter((m) => inView(m) && Number(m.ts) >= oldest).reverse();
    const from = Number(str(a.cursor) || 0);
    const limit = Number(str(a.limit) || 100);
    const page = found.slice(from, from + limit).map((m) => ({
      type: 'message',
      ts: m.ts,
      text: m.text,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(a.include_all_metadata && str(a.include_all_metadata) !== 'false' && m.metadata ? { metadata: m.metadata } : {}),
    }));
    const more = from + limit < found.length;
    return { ok: true, messages: page, has_more: more, response_metadata: { next_cursor: more ? String(from + limit) : '' } };
  };

  const methods: Record<string, (a: Record<string, unknown>) => object> = {
    'auth.test': () => ({ ok: true, user_id: 'UBOT', team_id: 'T0STANDIN' }),
    'conversations.create': (a) => {
      const name = str(a.name);
      if (!/^[a-z0-9_-]{1,80}$/.test(name)) return { ok: false, error: 'invalid_name' };
      if (byName(name)) return { ok: false, error: 'name_taken' };
      const id = `C1${String(nextChannel++).padStart(8, '0')}`;
      add(id, name);
      return { ok: true, channel: { id, name, is_channel: true } };
    },
    'conversations.list': () => ({
      ok: true,
      channels: [...channels.values()].filter((c) => !c.archived).map((c) => ({ id: c.id, name: c.name })),
      response_metadata: { next_cursor: '' },
    }),
    'conversations.invite': (a) => {
      const c = resolve(a.channel);
      if (!c) return { ok: false, error: 'channel_not_found' };
      if (c.archived) return { ok: false, error: 'is_archived' };
      const users = str(a.users).split(',');
      if (users.every((u) => c.members.includes(u))) return { ok: false, error: 'already_in_channel' };
      c.members.push(...users.filter((u) => !c.members.includes(u)));
      return { ok: true, channel: { id: c.id } };
    },
    'conversations.setTopic': (a) => {
      const c = resolve(a.channel);
      if (!c) return { ok: false, error: 'channel_not_found' };
      c.topic = str(a.topic);
      return { ok: true, channel: { id: c.id, topic: { value: c.topic } } };
    },
    'conversations.archive': (a) => {
      const c = resolve(a.channel);
      if (!c) return { ok: false, error: 'channel_not_found' };
      if (c.archived) return { ok: false, error: 'already_archived' };
      c.archived = true;
      return { ok: true };
    },
    'chat.postMessage': (a) => {
      const c = resolve(a.channel);
      if (!c) return { ok: false, error: 'channel_not_found' };
      if (c.archived) return { ok: false, error: 'is_archived' };
      const ts = `${Math.floor(Date.now() / 1000)}.${String(nextTs++).padStart(6, '0')}`;
      const message: StandinMessage = {
        channel: c.id,
        ts,
        text: str(a.text),
        updates: 0,
        ...(a.thread_ts ? { threadTs: str(a.thread_ts) } : {}),
        ...(a.blocks ? { blocks: a.blocks as unknown[] } : {}),
        ...(a.metadata ? { metadata: a.metadata } : {}),
      };
      messages.push(message);
      return { ok: true, channel: c.id, ts, message: { text: message.text, ts } };
    },
    // Newest first, from `oldest` on, `limit` at a time (the cursor is the offset).
    'conversations.history': (a) => {
      const c = resolve(a.channel);
      if (!c || str(a.channel).startsWith('#')) return { ok: false, error: 'channel_not_found' };
      return history(a, (m) => m.channel === c.id && (!m.threadTs || m.threadTs === m.ts));
    },
    'conversations.replies': (a) => {
      const c = resolve(a.channel);
      if (!c || str(a.channel).startsWith('#')) return { ok: false, error: 'channel_not_found' };
      if (!messages.some((m) => m.channel === c.id && m.ts === str(a.ts))) return { ok: false, error: 'thread_not_found' };
      return history(a, (m) => m.channel === c.id && (m.ts === str(a.ts) || m.threadTs === str(a.ts)));
    },
    'chat.update': (a) => {
      const m = messages.find((x) => x.channel === a.channel && x.ts === a.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      m.text = a.text === undefined ? m.text : str(a.text);
      if (a.blocks) m.blocks = a.blocks as unknown[];
      m.updates++;
      return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
    },
    'chat.postEphemeral': (a) => (resolve(a.channel) ? { ok: true, message_ts: '1.000000' } : { ok: false, error: 'channel_not_found' }),
    'pins.add': (a) => {
      const c = resolve(a.channel);
      if (!c) return { ok: false, error: 'channel_not_found' };
      if (c.pins.includes(str(a.timestamp))) return { ok: false, error: 'already_pinned' };
      c.pins.push(str(a.timestamp));
      return { ok: true };
    },
    'views.open': (a) =>
      a.trigger_id ? { ok: true, view: { id: 'V0STANDIN', ...(a.view as object) } } : { ok: false, error: 'invalid_trigger_id' },
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const send = (status: number, body: object, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      const url = req.url ?? '';
      // The stand-in's own controls, for a process that runs it apart (the drill).
      if (url === '/_standin/messages') return send(200, messages);
      if (url === '/_standin/calls') return send(200, calls);
      const limit = /^\/_standin\/rate-limit\?count=(\d+)&retryAfter=(\d+)$/.exec(url);
      if (limit) {
        rateLimited = { count: Number(limit[1]), retryAfter: Number(limit[2]) };
        return send(200, { ok: true });
      }
      if (url.startsWith('/hooks/')) {
        responses.push({ path: url, body: JSON.parse(raw || '{}') as Record<string, unknown> });
        return send(200, { ok: true });
      }
      const method = /^\/api\/([a-zA-Z.]+)$/.exec(url)?.[1] ?? '';
      const json = (req.headers['content-type'] ?? '').includes('application/json');
      const args: Record<string, unknown> = json
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : Object.fromEntries(
            [...new URLSearchParams(raw)].map(([k, v]) => [k, JSON_FIELDS.has(k) ? (JSON.parse(v) as unknown) : v] as const),
          );
      const call = { method, args, at: Date.now(), status: 200 };
      calls.push(call);
      if (rateLimited.count > 0) {
        rateLimited.count--;
        call.status = 429;
        return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(rateLimited.retryAfter) });
      }
      if (req.headers.authorization !== `Bearer ${SLACK_STANDIN_TOKEN}` && args.token !== SLACK_STANDIN_TOKEN)
        return send(200, { ok: false, error: 'invalid_auth' });
      const handler = methods[method];
      if (!handler) return send(200, { ok: false, error: 'unknown_method' });
      return send(200, handler(args));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${origin}/api/`,
    origin,
    calls,
    channels,
    messages,
    responses,
    responseUrl: (id) => `${origin}/hooks/response/${id}`,
    rateLimitNext: (count, retryAfterSeconds = 1) => (rateLimited = { count, retryAfter: retryAfterSeconds }),
    channelByName: byName,
    inChannel: (id) => messages.filter((m) => m.channel === id),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** What Slack sends with a request to an app: `v0=` HMAC-SHA256 of `v0:timestamp:body` with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}
