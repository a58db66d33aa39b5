import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const TWILIO_SID = `AC${'0'.repeat(32)}`;
export const TWILIO_TOKEN = 'standin-auth-token';
export const TWILIO_FROM = '+15550109999';

export interface TwilioRequest {
  kind: 'sms' | 'call';
  To: string;
  From: string;
  Body?: string;
  Twiml?: string;
  receivedAt: number;
  answered: number;
}

export interface TwilioStandin {
  url: string;
  requests: TwilioRequest[];
  /** Numbers that get Twilio's error response, e.g. 21211 "invalid To number" (HTTP 400). */
  rejectNumber(number: string, code: number, status?: number): void;
  /** The next `count` requests fail with this HTTP status (429 or 5xx are retried by our code). */
  failNext(count: number, status: number): void;
  /** Delay answers, to keep pages in flight. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** A stand-in of Twilio's REST API (Messages.json and Calls.json), with Twilio's response and error shapes. */
export async function startTwilioStandin(): Promise<TwilioStandin> {
  const requests: TwilioRequest[] = [];
  const rejected = new Map<string, { code: number; status: number }>();
  let failures = { count: 0, status: 500 };
  let delay = 0;
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const send = (status: number, body: object) => {
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        }, delay);
      };
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.url ?? '');
      const expectedAuth = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
      if (req.headers.authorization !== expectedAuth)
        return send(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      if (!match || req.method !== 'POST') return send(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const form = new URLSearchParams(raw);
      const kind = match[2] === 'Messages' ? 'sms' : 'call';
      const to = form.get('To') ?? '';
      if (failures.count > 0) {
        failures.count--;
        return send(failures.status, {
          code: failures.status === 429 ? 20429 : 20500,
          message: 'Service unavailable',
          status: failures.status,
        });
      }
      const rejection = rejected.get(to);
      if (rejection) {
        return send(rejection.status, {
          code: rejection.code,
          message: `The 'To' number ${to} is not a valid phone number.`,
          more_info: `https://www.twilio.com/docs/errors/${rejection.code}`,
          status: rejection.status,
        });
      }
      requests.push({
        kind,
        To: to,
        From: form.get('From') ?? '',
        Body: form.get('Body') ?? undefined,
        Twiml: form.get('Twiml') ?? undefined,
        receivedAt,
        answered: 0,
      });
      const sid = `${kind === 'sms' ? 'SM' : 'CA'}${randomBytes(16).toString('hex')}`;
      const now = new Date().toUTCString();
      send(201, {
        sid,
        account_sid: match[1],
        to,
        from: form.get('From'),
        status: 'queued',
        date_created: now,
        date_updated: now,
        api_version: '2010-04-01',
        uri: `/2010-04-01/Accounts/${match[1]}/${match[2]}/${sid}.json`,
        ...(kind === 'sms' ? { body: form.get('Body'), num_segments: '1', direction: 'outbound-api' } : { direction: 'outbound-api' }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    rejectNumber: (number, code, status = 400) => rejected.set(number, { code, status }),
    failNext: (count, status) => (failures = { count, status }),
    setDelay: (ms) => (delay = ms),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
