/**
 * Mail in (the plan's Security Team Email): a mail to security@ from an accepted domain opens an
 * incident for its service, the body (text, never HTML) on the timeline; a reply in the thread joins
 * it; the sender is answered with the incident's number; other domains and other mailboxes are refused
 * at the SMTP level and open nothing.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { stateQuery, type IncidentState } from '../contract';
import { createSmtpMailer, type Mailer } from '../adapters/mailer';
import { mailThreadWorkflowId, startMailIn, type MailIn } from '../server/mail-in';
import { testPolicy, useIncidentHarness, waitFor } from './helpers/harness';

const policy = testPolicy({
  mailIn: { addresses: [{ address: 'security@corp.test', service: 'security', severity: 'P1', senderDomains: ['corp.test'] }] },
});
let mailIn: MailIn;
let answers: Mailer;
const h = useIncidentHarness({
  name: 'mail-in',
  policy,
  beforeTeardown: async () => {
    await mailIn?.close();
    answers?.close();
  },
});
beforeAll(async () => {
  answers = createSmtpMailer(h.smtp.url, 'incidents@corp.test');
  mailIn = await startMailIn({ client: h.env.client, taskQueue: h.taskQueue, policy, mailer: answers, host: '127.0.0.1', port: 0 });
});

const send = (mail: SendMailOptions) =>
  nodemailer.createTransport({ host: '127.0.0.1', port: mailIn.port, secure: false, ignoreTLS: true }).sendMail(mail);

const incident = (root: string, what: string, until: (s: IncidentState) => boolean = (s) => s.number > 0) =>
  waitFor(async () => {
    const s = await h.env.client.workflow
      .getHandle(mailThreadWorkflowId('security@corp.test', root))
      .query(stateQuery)
      .catch(() => undefined);
    return s && until(s) ? s : undefined;
  }, what);

test('a report to security@ opens an incident, is answered with its number, and its thread joins it', async () => {
  const id = `<report-${Date.now()}@corp.test>`;
  await send({
    from: 'Alice <alice@corp.test>',
    to: 'security@corp.test',
    subject: 'Phishing mail with a fake login page',
    messageId: id,
    text: 'Several of us got a mail asking to log in at corp-login.example.\nThe link is still live.',
    html: '<p>Several of us got a mail <script>alert(1)</script></p>',
  });
  const opened = await incident(id, 'the incident');
  expect(opened).toMatchObject({
    title: 'Phishing mail with a fake login page',
    severity: 'P1',
    service: 'security',
    source: 'mail',
    declaredBy: 'mail from alice@corp.test',
  });
  const note = opened.timeline.find((e) => e.text.startsWith('Mail from alice@corp.test'))!;
  expect(note.text).toBe(
    'Mail from alice@corp.test to security@corp.test: Several of us got a mail asking to log in at corp-login.example.\nThe link is still live.',
  );
  const answer = await waitFor(
    () => h.smtp.mails.find((m) => m.to.includes('alice@corp.test') && m.subject.includes(opened.incidentId)),
    'the answer',
  );
  expect(answer.subject).toBe(`Re: Phishing mail with a fake login page [${opened.incidentId}]`);
  expect(answer.text).toContain(`Your report to security@corp.test is incident ${opened.incidentId}`);
  expect(answer.headers.get('in-reply-to')).toBe(id);

  // A reply in the thread joins the same incident, its text on the timeline; it is not answered again.
  await send({
    from: 'bob@corp.test',
    to: 'security@corp.test',
    subject: 'Re: Phishing mail with a fake login page',
    messageId: `<reply-${Date.now()}@corp.test>`,
    inReplyTo: id,
    references: [id],
    html: '<p>I clicked it <b>before</b> reading this.</p>',
  });
  const joined = await incident(id, 'the reply on the timeline', (s) =>
    s.timeline.some((e) => e.text.startsWith('Mail from bob@corp.test')),
  );
  expect(joined.incidentId).toBe(opened.incidentId);
  expect(joined.timeline.find((e) => e.text.startsWith('Mail from bob@corp.test'))!.text).toBe(
    'Mail from bob@corp.test to security@corp.test: I clicked it before reading this.',
  );
  expect(h.smtp.mails.filter((m) => m.to.some((to) => to.endsWith('@corp.test')))).toHaveLength(1);
});

test('mail from another domain, or to another mailbox, is refused and opens nothing', async () => {
  const stranger = `<stranger-${Date.now()}@evil.test>`;
  await expect(
    send({ from: 'mallory@evil.test', to: 'security@corp.test', subject: 'Pay now', messageId: stranger, text: 'x' }),
  ).rejects.toThrow(/mail from evil.test is not accepted at security@corp.test/);
  await expect(send({ from: 'alice@corp.test', to: 'ceo@corp.test', subject: 'Hi', text: 'x' })).rejects.toThrow(
    /no such mailbox: ceo@corp.test/,
  );
  const none = await h.env.client.workflow
    .getHandle(mailThreadWorkflowId('security@corp.test', stranger))
    .describe()
    .catch(() => undefined);
  expect(none).toBeUndefined();
});
