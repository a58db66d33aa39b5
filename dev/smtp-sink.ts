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

/** A real SMTP server, in-process, that records what it receives. */
export async function startSmtp(): Promise<TestSmtp> {
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
        if (failures.count > 0) {
          failures.count--;
          const error = Object.assign(new Error(`simulated ${failures.code} failure`), { responseCode: failures.code });
          return callback(error);
        }
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            mails.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              messageId: parsed.messageId,
              headers: parsed.headers,
              receivedAt: Date.now(),
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
