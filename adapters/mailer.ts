import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface Mailer {
  send(message: MailMessage): Promise<{ messageId?: string }>;
  close(): void;
}

/**
 * SMTP through nodemailer. `smtpUrl` is e.g. smtp://user:pass@host:587. Connections are pooled (a page
 * burst reuses five sessions instead of opening one per message); `?pool=false` in the URL turns it off.
 */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const options: SMTPPool.Options = { url: smtpUrl, pool: true, maxConnections: 5 };
  const transport = nodemailer.createTransport(options);
  return {
    async send(message) {
      const info = await transport.sendMail({ from, ...message });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/** SMTP reply codes 5xx mean the server refused for good; anything else may pass on retry. */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
