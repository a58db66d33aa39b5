import { escapeMarkup } from '../policy/render';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import twilio from 'twilio';
import { confirmToken, verifyAckToken, verifyConfirmToken } from '../security/ack-links';
import { signProof } from '../security/identity';
import type { ResponsePolicy } from '../policy/schema';
import { ErrorType, acknowledgeUpdate, escalateUpdate, parseIncidentId } from '../contract';
import { IncidentError } from '../client/failures';
import { findIncident } from '../client/temporal';
import { executeUpdateRetrying } from '../client/transient';

export interface AcknowledgeRoutesDeps {
  client: Client;
  policy: ResponsePolicy;
  /** Secret that signs acknowledge links in emails. */
  ackSecret?: string;
  /** Twilio's auth token, which signs its webhook requests. */
  twilioAuthToken?: string;
  /** The URL Twilio posts to, exactly as configured there (signatures cover it). */
  publicUrl: string;
  /** Signs who acknowledged (the link's or the phone number's contact) for the workflow to check. */
  identitySecret?: string;
}

type AckOutcome = { status: 200 | 403 | 404; message: string };

/**
 * Acknowledges `incidentId` and nothing else: the workflow id of an alert group is reused by each new
 * incident of the group, so the incident it holds now is compared with the one the link or reply names.
 */
async function acknowledgeAs(
  client: Client,
  incidentId: string,
  by: string,
  options: {
    workflowId?: string;
    pagedContactId?: string;
    verified?: { secret?: string; person: string; via: 'ack-link' | 'sms' | 'voice-keypress' };
  } = {},
): Promise<AckOutcome> {
  try {
    const ref = await findIncident(client, options.workflowId ?? incidentId);
    // Right after the first page the run may not carry its IncidentId yet; the workflow's own check then decides.
    const holdsAnother = options.workflowId !== undefined && parseIncidentId(ref.incidentId) !== undefined && ref.incidentId !== incidentId;
    if (!ref.running || holdsAnother) return { status: 403, message: `${incidentId} is already resolved; nothing was acknowledged.` };
    // The workflow checks the incident id again: it may have moved on since the lookup.
    const expected = options.workflowId !== undefined ? incidentId : ref.incidentId;
    const args = { by, incidentId: expected, pagedContactId: options.pagedContactId };
    const { verified } = options;
    const proof =
      verified?.secret &&
      signProof(verified.secret, {
        person: verified.person,
        via: verified.via,
        action: 'acknowledge',
        workflowId: ref.handle.workflowId,
        incidentId: expected,
        args,
      });
    await executeUpdateRetrying(ref.handle, acknowledgeUpdate, [proof ? { ...args, proof } : args], 10_000);
    return { status: 200, message: `${incidentId} acknowledged by ${by}. Escalation has stopped.` };
  } catch (error) {
    if (error instanceof IncidentError && error.kind === ErrorType.NotFound) return { status: 404, message: `No incident ${incidentId}.` };
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { status: 403, message: error.cause.message };
    if (error instanceof WorkflowNotFoundError)
      return { status: 403, message: `${incidentId} is already resolved; nothing was acknowledged.` };
    throw error;
  }
}

/** Escalates the incident a page call was for (its key 2), as the person called. */
async function escalateAs(
  client: Client,
  incidentId: string,
  by: string,
  options: { workflowId: string; verified: { secret?: string; person: string } },
): Promise<AckOutcome> {
  try {
    const ref = await findIncident(client, options.workflowId);
    if (!ref.running || (parseIncidentId(ref.incidentId) !== undefined && ref.incidentId !== incidentId))
      return { status: 403, message: `${incidentId} is already resolved; nothing was escalated.` };
    const args = { by, reason: 'key 2 pressed on the page call' };
    const { secret, person } = options.verified;
    // Signed for the incident the call was for (visibility may not carry its id yet): the workflow checks it holds that one.
    const proof =
      secret &&
      signProof(secret, {
        person,
        via: 'voice-keypress',
        action: 'escalate',
        workflowId: ref.handle.workflowId,
        incidentId,
        args,
      });
    await executeUpdateRetrying(ref.handle, escalateUpdate, [proof ? { ...args, proof } : args], 10_000);
    return { status: 200, message: `${incidentId} escalated by ${by}: the next level is being paged.` };
  } catch (error) {
    if (error instanceof IncidentError && error.kind === ErrorType.NotFound) return { status: 404, message: `No incident ${incidentId}.` };
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { status: 403, message: error.cause.message };
    if (error instanceof WorkflowNotFoundError)
      return { status: 403, message: `${incidentId} is already resolved; nothing was escalated.` };
    throw error;
  }
}

const page = (title: string, message: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeMarkup(title)}</title></head><body><h1>${escapeMarkup(title)}</h1><p>${escapeMarkup(message)}</p></body></html>`;
const confirmPage = (incidentId: string, who: string, action: string, confirm: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acknowledge ${escapeMarkup(incidentId)}</title></head><body>` +
  `<h1>Acknowledge ${escapeMarkup(incidentId)}?</h1><p>This link is for ${escapeMarkup(who)}. Acknowledging stops the escalation of ${escapeMarkup(incidentId)}.</p>` +
  `<form method="post" action="${escapeMarkup(action)}"><input type="hidden" name="confirm" value="${escapeMarkup(confirm)}">` +
  `<button type="submit">Acknowledge ${escapeMarkup(incidentId)}</button></form></body></html>`;
const say = (message: string) => `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${escapeMarkup(message)}</Say></Response>`;
const twiml = (message: string) => `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${escapeMarkup(message)}</Message></Response>`;

/** Acknowledging from the page: a signed link in the email, or an SMS reply "ACK INC-42". */
export function registerAcknowledgeRoutes(app: FastifyInstance, deps: AcknowledgeRoutesDeps): void {
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
  const checkLink = (token: string) =>
    deps.ackSecret
      ? verifyAckToken(deps.ackSecret, token, Date.now())
      : ({ ok: false, reason: 'Acknowledge links are not configured.' } as const);

  // Opening a link changes nothing: mail scanners and chat previews fetch every link (GET and HEAD).
  app.get<{ Params: { token: string } }>('/ack/:token', async (request, reply) => {
    const check = checkLink(request.params.token);
    if (!check.ok) return html(reply, deps.ackSecret ? 403 : 404, page('Link refused', check.reason));
    const who = deps.policy.contacts.find((c) => c.id === check.claim.c)?.name ?? check.claim.c;
    const confirm = confirmToken(deps.ackSecret!, request.params.token, Date.now());
    return html(reply, 200, confirmPage(check.claim.i, who, `/ack/${request.params.token}`, confirm));
  });

  // Pressing the button: the link and the button's token, both checked, then the acknowledgement.
  app.post<{ Params: { token: string }; Body: Record<string, string> }>('/ack/:token', async (request, reply) => {
    const check = checkLink(request.params.token);
    if (!check.ok) return html(reply, deps.ackSecret ? 403 : 404, page('Link refused', check.reason));
    if (!verifyConfirmToken(deps.ackSecret!, request.params.token, request.body?.confirm, Date.now()))
      return html(reply, 403, page('Not acknowledged', 'This button has expired or was not issued for this link: open the link again.'));
    const contact = deps.policy.contacts.find((c) => c.id === check.claim.c);
    const outcome = await acknowledgeAs(deps.client, check.claim.i, contact?.name ?? check.claim.c, {
      workflowId: check.claim.w,
      verified: contact && { secret: deps.identitySecret, person: contact.id, via: 'ack-link' },
    });
    return html(reply, outcome.status, page(outcome.status === 200 ? 'Acknowledged' : 'Not acknowledged', outcome.message));
  });

  // A key pressed on a page call: Twilio signs the post, the URL's token says who was called for which incident.
  app.post<{ Params: { token: string } }>('/twilio/voice/keys/:token', async (request, reply) => {
    const params = (request.body ?? {}) as Record<string, string>;
    const signature = request.headers['x-twilio-signature'];
    const url = `${deps.publicUrl.replace(/\/$/, '')}/twilio/voice/keys/${request.params.token}`;
    if (!deps.twilioAuthToken || typeof signature !== 'string' || !twilio.validateRequest(deps.twilioAuthToken, signature, url, params)) {
      return reply.code(403).type('text/plain').send('invalid Twilio signature');
    }
    reply.type('text/xml').header('cache-control', 'no-store');
    const check = checkLink(request.params.token);
    if (!check.ok) return say(`Nothing was done: ${check.reason}`);
    const contact = deps.policy.contacts.find((c) => c.id === check.claim.c);
    if (!contact) return say('Nothing was done: this call was for someone no longer on the incident response list.');
    const verified = { secret: deps.identitySecret, person: contact.id };
    if (params.Digits === '1') {
      const outcome = await acknowledgeAs(deps.client, check.claim.i, contact.name, {
        workflowId: check.claim.w,
        pagedContactId: contact.id,
        verified: { ...verified, via: 'voice-keypress' },
      });
      return say(outcome.message);
    }
    if (params.Digits === '2' && check.claim.w) {
      const outcome = await escalateAs(deps.client, check.claim.i, contact.name, { workflowId: check.claim.w, verified });
      return say(outcome.message);
    }
    return `<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" timeout="8" method="POST" action="${escapeMarkup(url)}"><Say>Press 1 to acknowledge. Press 2 to escalate.</Say></Gather><Say>Goodbye.</Say></Response>`;
  });

  app.post('/twilio/sms', async (request, reply) => {
    const params = (request.body ?? {}) as Record<string, string>;
    const signature = request.headers['x-twilio-signature'];
    const url = `${deps.publicUrl.replace(/\/$/, '')}/twilio/sms`;
    if (!deps.twilioAuthToken || typeof signature !== 'string' || !twilio.validateRequest(deps.twilioAuthToken, signature, url, params)) {
      return reply.code(403).type('text/plain').send('invalid Twilio signature');
    }
    reply.type('text/xml').header('cache-control', 'no-store');
    const contact = deps.policy.contacts.find((c) => c.phone && c.phone === params.From);
    if (!contact) return twiml('Sorry, this number is not on the incident response list, so it cannot acknowledge incidents.');
    const match = /^\s*ACK\s+(INC-\d+)\s*$/i.exec(params.Body ?? '');
    if (!match) return twiml('To acknowledge, reply: ACK INC-<number>');
    const outcome = await acknowledgeAs(deps.client, match[1]!.toUpperCase(), contact.name, {
      pagedContactId: contact.id,
      verified: { secret: deps.identitySecret, person: contact.id, via: 'sms' },
    });
    return twiml(outcome.message);
  });
}
