/**
 * Paging and mail through the ledger: every message claimed before it is sent, so a retry or a
 * restarted worker never sends it twice; a page's channel adapters (channels.ts); the outbox when a
 * channel is not configured here or keeps failing.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ackLink } from '../security/ack-links';
import { SubscriberStore, subscriptionToken } from '../store/subscribers';
import { pageMetrics } from './metrics';
import { ErrorType, addressFor, missingAddress, type DeliveryOutcome, type DeliveryResult, type OutboundMessage } from '../contract';
import type { RenderedMessage } from '../store/incident-store';
import { channelAdapters } from './channels';
import type { ActivityDeps } from './deps';

function observeFirstPage(sent: { firstPageSeconds?: number }): void {
  if (sent.firstPageSeconds !== undefined) pageMetrics.firstPage.observe(sent.firstPageSeconds);
}

/** A stable Message-ID for a key, so a copy sent again after a crash can be recognised. */
function messageIdFor(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@incident-orchestrator>`;
}

/**
 * A batch's outcomes, unless one failed in a way a retry may mend: then that failure is thrown, so
 * Temporal retries the activity (the ledger keeps what was sent from going out twice).
 */
function throwFirstRetryable<T>(settled: PromiseSettledResult<T>[]): PromiseSettledResult<T>[] {
  const retryable = settled.find(
    (s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof ApplicationFailure && s.reason.nonRetryable),
  );
  if (retryable) throw retryable.reason;
  return settled;
}

export function createDeliveryActivities(deps: ActivityDeps) {
  const outboxAfterAttempts = deps.outboxAfterAttempts ?? 6;

  /** A failure: permanent ones are non-retryable (the workflow falls through to the next channel). */
  const failed = async (
    msg: OutboundMessage,
    attempts: number,
    error: unknown,
    permanent: boolean,
    reason: string,
  ): Promise<DeliveryResult> => {
    await deps.store.markFailed(msg, reason, permanent);
    if (permanent) throw ApplicationFailure.nonRetryable(reason, ErrorType.DeliveryRejected);
    if (attempts >= outboxAfterAttempts) return keep(msg, `${msg.channel} failed ${attempts} times: ${reason}`);
    throw error;
  };

  const adapters = channelAdapters({ mailer: deps.mailer, phone: deps.phone, messageIdFor });

  /** A message as its channel sends it, and a page's signed acknowledge link. */
  const render = (msg: OutboundMessage): RenderedMessage => {
    const ackUrl =
      msg.kind === 'page' && deps.ackLinks
        ? ackLink(deps.ackLinks, msg.incidentId, msg.recipient.id, Date.now(), Context.current().info.workflowExecution?.workflowId)
        : undefined;
    return { text: adapters[msg.channel].render(msg, ackUrl), ackUrl };
  };

  /** Kept, not sent: one line in the log; the message itself waits in the outbox (`incidentctl inbox`). */
  const keep = async (msg: OutboundMessage, reason: string): Promise<DeliveryResult> => {
    await deps.store.toOutbox(msg, reason, render(msg));
    log.warn(`${msg.channel} to ${msg.recipient.id} kept in the outbox (${reason}): ${msg.subject}`);
    return { status: 'outbox', channel: msg.channel };
  };

  /** Through the channel's adapter: sent, kept (no provider here), or failed (retried, or final when the provider says so). */
  const sendThrough = async (msg: OutboundMessage, attempts: number): Promise<DeliveryResult> => {
    const address = addressFor(msg.recipient, msg.channel);
    if (!address)
      throw ApplicationFailure.nonRetryable(`${msg.recipient.name} has no ${missingAddress(msg.channel)}`, ErrorType.DeliveryRejected);
    const adapter = adapters[msg.channel];
    if (adapter.unavailable) return keep(msg, adapter.unavailable);
    try {
      const rendered = render(msg);
      const { messageId } = await adapter.send(msg, address, rendered.text, rendered.ackUrl);
      observeFirstPage(await deps.store.markSent(msg, messageId, rendered));
      return { status: 'sent', channel: msg.channel, messageId };
    } catch (error) {
      const permanent = adapter.isPermanent(error);
      return failed(msg, attempts, error, permanent, adapter.describe(error, msg, address));
    }
  };

  const count = (msg: OutboundMessage, outcome: string) => pageMetrics.pages.inc({ kind: msg.kind, channel: msg.channel, outcome });

  /** Claims a message in the ledger; an unclaimed one comes back with its outcome. `attempt` > 1 reports what an earlier attempt of the same batch sent. */
  const claimMessage = async (msg: OutboundMessage, attempt: number): Promise<{ attempts: number } | { result: DeliveryResult }> => {
    const claim = await deps.store.claim(msg);
    if (claim.claimed) return { attempts: claim.attempts };
    if (attempt > 1 && (claim.status === 'sent' || claim.status === 'outbox'))
      return { result: { status: claim.status, channel: msg.channel } };
    const status = claim.status === 'skipped' ? 'skipped' : 'duplicate';
    count(msg, status);
    return { result: { status, channel: msg.channel } };
  };

  /** Sends a claimed message through its provider. */
  const sendClaimed = async (msg: OutboundMessage, attempts: number): Promise<DeliveryResult> => {
    try {
      const result = await sendThrough(msg, attempts);
      count(msg, result.status);
      return result;
    } catch (error) {
      count(msg, error instanceof ApplicationFailure && error.nonRetryable ? 'failed' : 'retried');
      throw error;
    }
  };

  /**
   * Claims, then sends: escalation pages of one incident together, under one hold of its row (they race
   * acknowledgements; see the store), the rest as they are. Outcomes in the order of `msgs`.
   */
  const deliverClaimed = async (msgs: OutboundMessage[], attempt: number): Promise<PromiseSettledResult<DeliveryResult>[]> => {
    const claims = await Promise.allSettled(msgs.map((msg) => claimMessage(msg, attempt)));
    const outcomes = new Array<PromiseSettledResult<DeliveryResult>>(msgs.length);
    const groups = new Map<number | 'free', number[]>();
    claims.forEach((claim, i) => {
      if (claim.status === 'rejected') outcomes[i] = claim;
      else if ('result' in claim.value) outcomes[i] = { status: 'fulfilled', value: claim.value.result };
      else {
        const group = msgs[i]!.stopIfAcknowledged ? msgs[i]!.incidentNumber : 'free';
        groups.set(group, [...(groups.get(group) ?? []), i]);
      }
    });
    const sendAll = async (indexes: number[]) => {
      const settled = await Promise.allSettled(
        indexes.map((i) => sendClaimed(msgs[i]!, (claims[i] as PromiseFulfilledResult<{ attempts: number }>).value.attempts)),
      );
      indexes.forEach((i, k) => (outcomes[i] = settled[k]!));
    };
    await Promise.all(
      [...groups].map(async ([group, indexes]) => {
        if (group === 'free') return sendAll(indexes);
        const keys = indexes.map((i) => msgs[i]!.dedupKey);
        try {
          const guarded = await deps.store.sendUnlessAcknowledged(group, keys, () => sendAll(indexes));
          if ('skipped' in guarded)
            for (const i of indexes) {
              count(msgs[i]!, 'skipped');
              outcomes[i] = { status: 'fulfilled', value: { status: 'skipped', channel: msgs[i]!.channel } };
            }
        } catch (error) {
          for (const i of indexes) outcomes[i] ??= { status: 'rejected', reason: error };
        }
      }),
    );
    return outcomes;
  };

  return {
    /** Mail that belongs to no single incident (the digest). Without SMTP it goes to the log. */
    async sendEmail(input: {
      to: { name: string; email: string }[];
      subject: string;
      body: string;
      messageKey: string;
    }): Promise<{ status: 'sent' | 'logged' }> {
      if (!deps.mailer) {
        log.warn('email not sent: no SMTP server configured', {
          to: input.to.map((t) => t.email),
          subject: input.subject,
          body: input.body,
        });
        return { status: 'logged' };
      }
      await deps.mailer.send({
        to: input.to.map((t) => `"${t.name.replace(/"/g, '')}" <${t.email}>`).join(', '),
        subject: input.subject,
        text: input.body,
        messageId: messageIdFor(input.messageKey),
        headers: {},
      });
      return { status: 'sent' };
    },

    /** Sends one page or notification at most once per (incident, dedupKey), whatever retries or restarts happen. */
    async deliver(msg: OutboundMessage): Promise<DeliveryResult> {
      const [outcome] = await deliverClaimed([msg], 1);
      if (outcome!.status === 'rejected') throw outcome!.reason;
      return outcome!.value;
    },

    /**
     * Every message of one send (a person's channels, everyone a notice names)
     * at once, each still at most once (the ledger). Permanent failures come back per message; a
     * temporary one fails the batch, and its retry reports what earlier attempts sent as sent.
     */
    async deliverAll(msgs: OutboundMessage[], resume = false): Promise<DeliveryOutcome[]> {
      // `resume`: an earlier local attempt of this batch may have sent some of it.
      const attempt = resume ? Context.current().info.attempt + 1 : Context.current().info.attempt;
      const settled = throwFirstRetryable(await deliverClaimed(msgs, attempt));
      return settled.map((s, i) =>
        s.status === 'fulfilled' ? s.value : { status: 'failed', channel: msgs[i]!.channel, error: (s.reason as Error).message },
      );
    },

    /**
     * One email per confirmed status page subscriber for public update `n` of an incident, each through
     * the ledger (a retried activity sends nobody twice), each with its own unsubscribe link.
     */
    async notifySubscribers(input: {
      incidentNumber: number;
      incidentId: string;
      n: number;
      title: string;
      state: string;
      text: string;
    }): Promise<{ sent: number; skipped?: string }> {
      if (!deps.ackLinks) return { sent: 0, skipped: 'no signing secret for unsubscribe links (ACK_LINK_SECRET)' };
      const { secret, publicUrl } = deps.ackLinks;
      const base = publicUrl.replace(/\/$/, '');
      const subscribers = await new SubscriberStore(deps.store.pool).confirmed();
      const msgs: OutboundMessage[] = subscribers.map((s) => ({
        incidentNumber: input.incidentNumber,
        incidentId: input.incidentId,
        dedupKey: `public-update:${input.n}:subscriber-${s.id}`,
        kind: 'notification',
        recipient: { id: `subscriber-${s.id}`, name: s.email, email: s.email },
        channel: 'email',
        subject: `${input.title}: ${input.state}`,
        body: [
          input.text,
          '',
          `Details: ${base}/status/incidents/${input.incidentId}`,
          '',
          `You subscribed to status updates. Unsubscribe: ${base}/status/subscriptions/unsubscribe/${subscriptionToken(secret, 'unsubscribe', s.id)}`,
        ].join('\n'),
      }));
      const settled = throwFirstRetryable(await deliverClaimed(msgs, Context.current().info.attempt));
      return { sent: settled.filter((r) => r.status === 'fulfilled' && r.value.status === 'sent').length };
    },
  };
}
