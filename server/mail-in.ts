/**
 * Mail in (policy mailIn): an SMTP listener beside the HTTP server. A mail to a configured address
 * (say security@) from one of its sender domains opens or joins the incident of its thread (Message-ID,
 * In-Reply-To, References): the subject is the title, the body (text, never HTML) goes on the timeline,
 * and the sender is answered with the incident's number. A mail Temporal could not take is refused with
 * 451, so the sending server tries again; its Message-ID keeps a retry from counting twice.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { registeredUpdate, type AlertRef } from '../contract';
import type { Mailer } from '../adapters/mailer';
import type { ResponsePolicy } from '../policy/schema';
import { routeService } from '../policy/teams';
import { ingestGroup } from './webhook/ingest';
import type { GroupIngest } from './webhook/mapping';

type MailAddress = ResponsePolicy['mailIn']['addresses'][number];

export interface MailIn {
  port: number;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
const firstAddress = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0]?.address?.toLowerCase();

/** One incident per address and thread: the thread's first Message-ID names it. */
export function mailThreadWorkflowId(address: string, root: string): string {
  const local = address
    .slice(0, address.indexOf('@'))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 30);
  return `mail-${local}-${createHash('sha256').update(`${address.toLowerCase()}\0${root}`).digest('hex').slice(0, 40)}`;
}

export function mapMail(
  mail: { from: string; subject: string; text: string; messageId: string; root: string; date: string },
  to: MailAddress,
  policy: ResponsePolicy,
  receivedAt: string,
): GroupIngest {
  const from = `mail from ${mail.from}`;
  const title = (mail.subject.trim() || '(no subject)').slice(0, 200);
  const alert: AlertRef = {
    fingerprint: createHash('sha256').update(mail.messageId).digest('hex').slice(0, 32),
    name: title.slice(0, 100),
    status: 'firing',
    labels: { service: to.service, mailbox: to.address, sender: mail.from },
    annotations: { summary: title },
    startsAt: mail.date,
  };
  const body = mail.text.trim();
  return {
    workflowId: mailThreadWorkflowId(to.address, mail.root),
    input: {
      title,
      severity: to.severity,
      service: to.service,
      ...(policy.teams.length ? { team: routeService(policy, to.service).team, routedBy: `mail to ${to.address}` } : {}),
      source: 'mail',
      declaredBy: from,
    },
    batch: {
      alerts: [alert],
      truncatedAlerts: 0,
      notes: [`Mail from ${mail.from} to ${to.address}: ${body ? (body.length > 4000 ? `${body.slice(0, 4000)}…` : body) : '(no text)'}`],
      receivedAt,
      groupStatus: 'firing',
      from,
    },
    allResolved: false,
  };
}

export async function startMailIn(deps: {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  /** Answers the sender with the incident's number; without it, nobody is answered. */
  mailer?: Mailer;
  host: string;
  port: number;
  log?: (line: string) => void;
}): Promise<MailIn> {
  const addresses = new Map(deps.policy.mailIn.addresses.map((a) => [a.address.toLowerCase(), a]));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (!addresses.has(address.address.toLowerCase())) return callback(smtpError(550, `no such mailbox: ${address.address}`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded)
          return callback(smtpError(552, 'message too large (1 MB at most)'));
        void receive(
          Buffer.concat(chunks),
          session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
        ).then(
          () => callback(),
          (error: Error & { responseCode?: number }) => callback(error.responseCode ? error : smtpError(451, 'try again later')),
        );
      });
    },
  });

  const receive = async (raw: Buffer, rcptTo: string[]) => {
    const parsed = await simpleParser(raw);
    const sender = firstAddress(parsed.from);
    if (!sender) throw smtpError(550, 'the mail has no From address');
    const messageId = parsed.messageId ?? `<${createHash('sha256').update(raw).digest('hex')}@mail-in>`;
    const references = [parsed.references ?? []].flat();
    const root = references[0] ?? parsed.inReplyTo ?? messageId;
    const accepted = rcptTo
      .map((a) => addresses.get(a)!)
      .filter((a) => a.senderDomains.map((d) => d.toLowerCase()).includes(domainOf(sender)));
    if (!accepted.length) throw smtpError(550, `mail from ${domainOf(sender)} is not accepted at ${rcptTo.join(', ')}`);
    for (const to of accepted) {
      const group = mapMail(
        {
          from: sender,
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          messageId,
          root,
          date: (parsed.date ?? new Date()).toISOString(),
        },
        to,
        deps.policy,
        new Date().toISOString(),
      );
      // Within 20 s, or 451: the sending server tries again (the Message-ID keeps it one alert).
      const { outcome, incidentId } = await deps.client.withAbortSignal(AbortSignal.timeout(20_000), async () => {
        const ingested = await ingestGroup(deps.client, deps.taskQueue, group);
        const registered = await deps.client.workflow.getHandle(group.workflowId).executeUpdate(registeredUpdate);
        return { outcome: ingested, incidentId: registered.incidentId };
      });
      deps.log?.(`mail from ${sender} to ${to.address}: ${outcome} ${incidentId}`);
      // The first mail of a thread is answered (once: nothing after this can refuse it); replies are on the incident already.
      if (root === messageId && deps.mailer)
        await deps.mailer
          .send({
            to: sender,
            subject: `Re: ${parsed.subject ?? ''} [${incidentId}]`.slice(0, 250),
            text: `Thank you. Your report to ${to.address} is incident ${incidentId}; the ${to.service} on-call has been told.\n\nReplies to this thread are added to ${incidentId}.`,
            messageId: `<${incidentId}.mail-in.${createHash('sha256').update(messageId).digest('hex').slice(0, 12)}@incident-orchestrator>`,
            headers: { 'In-Reply-To': messageId, References: [...references, messageId].join(' ') },
          })
          .catch((error: unknown) => deps.log?.(`the answer to ${sender} was not sent: ${(error as Error).message}`));
    }
  };

  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(deps.port, deps.host, resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
