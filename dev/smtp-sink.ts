import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  messageId?: string;
  headers: Map<string, unknown>;
  receivedAt: number;
}

export interface TestSmtp {
  url: string;
  mails: ReceivedMail[];
  /** Make the next `count` deliveries fail with this SMTP reply code (4xx temporary, 5xx permanent). */
  failNext(count: number, responseCode: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server, in-process, that records what it receives, stamped when its last byte arrived.
 * `parse: false` (benchmarks) skips MIME parsing, which costs CPU the system under test would need:
 * the subject is read from its header and `text` is the raw message.
 */
export async function startSmtp(
  options: {
    parse?: boolean;
    /** Keep each message in `mails` (tests); off for a long-running local inbox, which only reports them. */
    keep?: boolean;
    onMail?: (mail: ReceivedMail) => void;
  } = {},
): Promise<TestSmtp> {
  const received = (mail: ReceivedMail) => {
    if (options.keep !== false) mails.push(mail);
    options.onMail?.(mail);
  };
  const mails: ReceivedMail[] = [];
  let failures = { count: 0, code: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // No reverse DNS of each client (about 100 ms per connection here): mail arrives as soon as it is sent.
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const receivedAt = Date.now();
        if (failures.count > 0) {
          failures.count--;
          const error = Object.assign(new Error(`simulated ${failures.code} failure`), { responseCode: failures.code });
          return callback(error);
        }
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (options.parse === false) {
          const text = raw.toString('utf8');
          received({ to, subject: /^Subject: (.*)$/m.exec(text)?.[1] ?? '', text, headers: new Map(), receivedAt });
          return callback();
        }
        simpleParser(raw)
          .then((parsed) => {
            received({
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              messageId: parsed.messageId,
              headers: parsed.headers,
              receivedAt,
            });
            callback();
          })
          .catch(callback);
      });
    },
  });
  // A client killed mid-session (a SIGKILLed worker) resets its connection: that is not this server's failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    failNext: (count, code) => (failures = { count, code }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
