/**
 * The Emergency Hotline (policy hotline): a Twilio voice number. The caller hears the greeting, presses
 * a key for severity, and an incident opens with their number; they are put through (TwiML <Dial>) to
 * whoever is on call for the number's service now; when nobody answers, their voicemail's recording is
 * linked on the incident's timeline. Every callback is checked against Twilio's signature.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { alertsSignal, registeredUpdate, type AlertBatch, type Severity } from '../contract';
import { escapeMarkup } from '../policy/render';
import type { ResponsePolicy } from '../policy/schema';
import { incidentPolicy, routeService, scheduleOf } from '../policy/teams';
import type { OnCallStore } from '../store/oncall-store';
import { resolveTargets } from '../policy/recipients';
import { ingestGroup } from './webhook/ingest';

export interface HotlineDeps {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  oncall: OnCallStore;
  twilioAuthToken?: string;
  /** The URL Twilio posts to, exactly as configured there (signatures cover it). */
  publicUrl: string;
}

/** Keys the caller presses: 1 everything down (P0) … 4 minor (P3); no key, a hotline call is P1. */
const KEYS: Record<string, Severity> = { '1': 'P0', '2': 'P1', '3': 'P2', '4': 'P3' };
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
const say = (text: string) => `<Say>${escapeMarkup(text)}</Say>`;

/** One incident per call. */
export const hotlineWorkflowId = (callSid: string) => `hotline-${createHash('sha256').update(callSid).digest('hex').slice(0, 40)}`;

/** Who the first level of the service's escalation pages now (overrides included), with a phone. */
async function onCallFor(deps: HotlineDeps, service: string) {
  const nowMs = Date.now();
  const routed = routeService(deps.policy, service);
  const first = incidentPolicy(deps.policy, routed).escalation.levels[0]!;
  const onSchedules: Record<string, { contactId?: string; source: string }> = {};
  for (const target of first.targets) {
    const schedule = scheduleOf(deps.policy, target);
    if (schedule) onSchedules[target] = await deps.oncall.whoOnSchedule(schedule, nowMs);
  }
  const onCall = first.targets.includes('oncall') ? (await deps.oncall.whoAt(deps.policy, nowMs)).now : undefined;
  const { recipients } = resolveTargets(deps.policy, first.targets, { nowMs, ...(onCall ? { onCall } : {}), onSchedules });
  return recipients.map((r) => r.contact).find((c) => c.phone);
}

export function registerHotlineRoutes(app: FastifyInstance, deps: HotlineDeps): void {
  const base = deps.publicUrl.replace(/\/$/, '');
  const numbers = new Map(deps.policy.hotline.numbers.map((n) => [n.number, n]));
  /** Twilio's request, or undefined (answered 403) when its signature does not hold for this URL. */
  const signed = (request: FastifyRequest, reply: FastifyReply): Record<string, string> | undefined => {
    const params = (request.body ?? {}) as Record<string, string>;
    const signature = request.headers['x-twilio-signature'];
    const url = `${base}${request.url}`;
    if (!deps.twilioAuthToken || typeof signature !== 'string' || !twilio.validateRequest(deps.twilioAuthToken, signature, url, params)) {
      void reply.code(403).type('text/plain').send('invalid Twilio signature');
      return undefined;
    }
    void reply.type('text/xml').header('cache-control', 'no-store');
    return params;
  };
  const note = (workflowId: string, from: string, text: string) => {
    const batch: AlertBatch = {
      alerts: [],
      truncatedAlerts: 0,
      notes: [text],
      receivedAt: new Date().toISOString(),
      groupStatus: 'firing',
      from,
    };
    return deps.client.workflow.getHandle(workflowId).signal(alertsSignal, batch);
  };

  // The number's voice webhook: the greeting, and a key for severity.
  app.post('/twilio/voice/hotline', (request, reply) => {
    const params = signed(request, reply);
    if (!params) return reply;
    const line = numbers.get(params.To ?? '');
    if (!line) return xml(`${say('This number is not in service.')}<Hangup/>`);
    const next = `${base}/twilio/voice/hotline/severity`;
    return xml(
      `${say(line.greeting)}<Gather numDigits="1" timeout="6" method="POST" action="${escapeMarkup(next)}">` +
        `${say('Press 1 if everything is down. Press 2 for a major problem. Press 3 for a partial problem. Press 4 for a minor one.')}</Gather>` +
        `<Redirect method="POST">${escapeMarkup(next)}</Redirect>`,
    );
  });

  // The key pressed (none: P1): the incident opens, and the caller is put through to the on-call.
  app.post('/twilio/voice/hotline/severity', async (request, reply) => {
    const params = signed(request, reply);
    if (!params) return reply;
    const line = numbers.get(params.To ?? '');
    if (!line || !params.CallSid || !params.From) return xml(`${say('This number is not in service.')}<Hangup/>`);
    const severity = KEYS[params.Digits ?? ''] ?? 'P1';
    const caller = params.From;
    const from = `phone ${caller}`;
    const workflowId = hotlineWorkflowId(params.CallSid);
    const routed = routeService(deps.policy, line.service);
    const receivedAt = new Date().toISOString();
    try {
      await ingestGroup(deps.client, deps.taskQueue, {
        workflowId,
        input: {
          title: `Hotline call from ${caller}`,
          severity,
          service: line.service,
          ...(deps.policy.teams.length ? { team: routed.team, routedBy: `hotline ${line.number}` } : {}),
          source: 'phone',
          declaredBy: from,
        },
        batch: {
          alerts: [
            {
              fingerprint: params.CallSid,
              name: 'hotline call',
              status: 'firing',
              labels: { service: line.service, caller, hotline: line.number },
              startsAt: receivedAt,
            },
          ],
          truncatedAlerts: 0,
          notes: [
            `Call from ${caller} to the hotline ${line.number}: ${params.Digits ? `key ${params.Digits}, ${severity}` : `no key pressed, ${severity}`}`,
          ],
          receivedAt,
          groupStatus: 'firing',
          from,
        },
        allResolved: false,
      });
      const { incidentId } = await deps.client.withAbortSignal(AbortSignal.timeout(8_000), () =>
        deps.client.workflow.getHandle(workflowId).executeUpdate(registeredUpdate),
      );
      const spoken = incidentId.replace('-', ' ');
      const person = await onCallFor(deps, line.service);
      if (!person)
        return xml(`${say(`Your call is incident ${spoken}. Nobody can be reached by phone right now.`)}${voicemail(workflowId)}`);
      return xml(
        `${say(`Your call is incident ${spoken}, severity ${severity.split('').join(' ')}. Connecting you to the engineer on call.`)}` +
          `<Dial timeout="25" method="POST" action="${escapeMarkup(`${base}/twilio/voice/hotline/dialed/${workflowId}`)}"><Number>${escapeMarkup(person.phone!)}</Number></Dial>`,
      );
    } catch (error) {
      request.log.warn({ err: error }, 'the hotline call did not open an incident');
      return xml(`${say('Sorry, the incident could not be opened. Please leave a message after the tone.')}${voicemail(workflowId)}`);
    }
  });

  const voicemail = (workflowId: string) =>
    `<Record maxLength="120" playBeep="true" method="POST" action="${escapeMarkup(`${base}/twilio/voice/hotline/recorded/${workflowId}`)}"/>`;

  // How the call to the on-call ended: answered, or on to voicemail.
  app.post<{ Params: { workflowId: string } }>('/twilio/voice/hotline/dialed/:workflowId', async (request, reply) => {
    const params = signed(request, reply);
    if (!params) return reply;
    const status = params.DialCallStatus ?? 'unknown';
    const from = `phone ${params.From ?? 'unknown'}`;
    if (status === 'completed') {
      await note(request.params.workflowId, from, 'The caller spoke with the engineer on call').catch(() => undefined);
      return xml('<Hangup/>');
    }
    await note(request.params.workflowId, from, `The engineer on call did not answer the hotline call (${status}): voicemail`).catch(
      () => undefined,
    );
    return xml(
      `${say('Nobody answered. Please leave a message after the tone; it is added to your incident.')}${voicemail(request.params.workflowId)}`,
    );
  });

  // The voicemail: its recording linked on the timeline.
  app.post<{ Params: { workflowId: string } }>('/twilio/voice/hotline/recorded/:workflowId', async (request, reply) => {
    const params = signed(request, reply);
    if (!params) return reply;
    const from = `phone ${params.From ?? 'unknown'}`;
    if (params.RecordingUrl)
      await note(
        request.params.workflowId,
        from,
        `Voicemail from ${params.From ?? 'the caller'} (${params.RecordingDuration ?? '?'} s): ${params.RecordingUrl}`,
      ).catch(() => undefined);
    return xml(`${say('Thank you. Your message is on the incident. Goodbye.')}<Hangup/>`);
  });
}
