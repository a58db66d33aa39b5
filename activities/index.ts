import { ApplicationFailure, log } from '@temporalio/activity';
import type { ResponsePolicy } from '../policy/schema';
import { ErrorType } from '../workflows/definitions';
import { isPermanentMailError, type Mailer } from './mailer';
import type { IncidentStore } from './store';
import type { DeliveryResult, IncidentSnapshot, OutboundMessage, RegisterIncidentInput } from './types';

export interface ActivityDeps {
  store: IncidentStore;
  /** The worker's validated policy; incidents snapshot it at start. */
  policy: ResponsePolicy;
  /** Absent when no SMTP server is configured: messages then go to the outbox table. */
  mailer?: Mailer;
  /** After this many failed SMTP attempts a message is parked in the outbox instead of retried forever. */
  outboxAfterAttempts?: number;
}

function messageIdFor(msg: OutboundMessage): string {
  return `<${`${msg.incidentId}.${msg.dedupKey}`.replace(/[^A-Za-z0-9.-]/g, '.')}@incident-orchestrator>`;
}

export function createActivities(deps: ActivityDeps) {
  const outboxAfterAttempts = deps.outboxAfterAttempts ?? 6;

  return {
    currentPolicy(): Promise<ResponsePolicy> {
      return Promise.resolve(deps.policy);
    },

    async registerIncident(input: RegisterIncidentInput): Promise<{ number: number }> {
      return { number: await deps.store.register(input) };
    },

    async syncIncident(snapshot: IncidentSnapshot): Promise<void> {
      await deps.store.sync(snapshot);
    },

    /** Sends one page or notification at most once per (incident, dedupKey), whatever retries or restarts happen. */
    async deliver(msg: OutboundMessage): Promise<DeliveryResult> {
      const claim = await deps.store.claim(msg);
      if (!claim.claimed) return { status: 'duplicate', channel: msg.channel };
      if (!deps.mailer) {
        await deps.store.toOutbox(msg, 'no SMTP server configured');
        log.warn('message kept in outbox: no SMTP server configured', { to: msg.recipient.email, subject: msg.subject });
        return { status: 'outbox', channel: msg.channel };
      }
      try {
        const info = await deps.mailer.send({
          to: `"${msg.recipient.name.replace(/"/g, '')}" <${msg.recipient.email}>`,
          subject: msg.subject,
          text: msg.body,
          // A stable Message-ID lets receiving servers drop a copy sent again after a crash mid-send.
          messageId: messageIdFor(msg),
          headers: { 'X-Incident-Id': msg.incidentId, 'X-Incident-Dedup-Key': msg.dedupKey },
        });
        await deps.store.markSent(msg, info.messageId);
        return { status: 'sent', channel: msg.channel, messageId: info.messageId };
      } catch (error) {
        const reason = (error as Error).message;
        const permanent = isPermanentMailError(error);
        await deps.store.markFailed(msg, reason, permanent);
        if (permanent) {
          throw ApplicationFailure.nonRetryable(`SMTP refused ${msg.recipient.email}: ${reason}`, ErrorType.DeliveryRejected);
        }
        if (claim.attempts >= outboxAfterAttempts) {
          await deps.store.toOutbox(msg, `SMTP failed ${claim.attempts} times: ${reason}`);
          log.error('message parked in outbox after repeated SMTP failures', { to: msg.recipient.email, reason });
          return { status: 'outbox', channel: msg.channel };
        }
        throw error;
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
