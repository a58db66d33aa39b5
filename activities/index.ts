import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ackLink, type AckLinkSettings } from '../security/ack-links';
import { proofProblem } from '../security/identity';
import { SubscriberStore, subscriptionToken } from '../store/subscribers';
import { createChatActivities, type ConnectedPlatforms } from '../chat/activities';
import { pageMetrics } from './metrics';
import { OnCallStore } from '../store/oncall-store';
import type {
  ActionItem,
  InboxMessage,
  ActorProof,
  Digest,
  EndOfDaySummary,
  OnCallAnswer,
  Override,
  SeverityReport,
  StepResult,
  ProvenAct,
  VerifiedActor,
} from '../contract';
import { parsePolicy } from '../policy/load';
import { withDeploymentLinks, type DeploymentLinks } from '../policy/links';
import type { ResponsePolicy } from '../policy/schema';
import { ErrorType, addressFor, missingAddress } from '../contract';
import type { Mailer } from '../adapters/mailer';
import { renderDraft } from './postmortem-draft';
import { UnknownRecordError, type NewActionItem, type ReviewStore } from '../store/review-store';
import type { IncidentStore, RenderedMessage } from '../store/incident-store';
import { EvidenceStore } from '../store/evidence-store';
import { channelAdapters } from './channels';
import { InboxStore } from '../store/inbox-store';
import type { EvidenceRecord, StepPlan } from '../contract';
import type { PhoneMessenger } from '../adapters/twilio';
import type {
  DeliveryOutcome,
  DeliveryResult,
  IncidentSnapshot,
  OpenedIncident,
  OutboundMessage,
  RegisterIncidentInput,
} from '../contract';

/** A proof to check: for this act, on this workflow and incident, with these arguments. */
export interface ProofCheck {
  proof: ActorProof;
  action: ProvenAct;
  workflowId: string;
  incidentId: string;
  args: object;
}

export interface ActivityDeps {
  store: IncidentStore;
  reviews: ReviewStore;
  /** The worker's validated policy; incidents snapshot it at start. */
  policy: ResponsePolicy;
  /** Absent when no SMTP server is configured: messages then go to the outbox table. */
  mailer?: Mailer;
  /** Rotation overrides; absent = the rotation alone. */
  oncall?: OnCallStore;
  /** Signed acknowledge links in email pages; absent = no links. */
  ackLinks?: AckLinkSettings;
  /** This deployment's addresses for the links in messages (policy/links.ts). */
  links?: DeploymentLinks;
  /** SMS and voice; absent without Twilio credentials: those pages then go to the outbox table. */
  phone?: PhoneMessenger;
  /** Checks the HTTP server's proofs of who acts; absent = every proof is refused (actions are unverified). */
  identitySecret?: string;
  /** The chat platforms this worker is connected to (chat/registry.ts); none = incidents open without a chat lane. */
  chat?: ConnectedPlatforms;
  /** After this many failed SMTP attempts a message is parked in the outbox instead of retried forever. */
  outboxAfterAttempts?: number;
}

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

/** Unknown ids are bad input: retrying cannot help. */
async function known<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UnknownRecordError) throw ApplicationFailure.nonRetryable(error.message, ErrorType.NotFound);
    throw error;
  }
}

export function createActivities(deps: ActivityDeps) {
  const outboxAfterAttempts = deps.outboxAfterAttempts ?? 6;
  const evidence = new EvidenceStore(deps.store.pool);
  const inbox = new InboxStore(deps.store.pool);
  const oncall = deps.oncall ?? new OnCallStore(deps.store.pool);

  /** A policy that arrived in a workflow's input, checked with every rule a policy file is checked with. */
  const checkInputPolicy = (snapshot: unknown): { parsed: ResponsePolicy } | { problem: string } => {
    try {
      const parsed = parsePolicy(snapshot, "the incident's input");
      return { parsed: deps.links ? withDeploymentLinks(parsed, deps.links) : parsed };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  };

  /** The verified person of a proof, or why it does not hold. */
  const checkProof = (input: ProofCheck): VerifiedActor | { problem: string } => {
    if (!deps.identitySecret) return { problem: 'this worker checks no proofs of identity (IDENTITY_SECRET is not set)' };
    const problem = proofProblem(deps.identitySecret, input.proof, input);
    if (problem) return { problem };
    const contact = deps.policy.contacts.find((c) => c.id === input.proof.person);
    if (!contact) return { problem: `${input.proof.person} is not a contact in the policy` };
    return { person: contact.id, name: contact.name, via: input.proof.via };
  };

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
      const { messageId } = await adapter.send(msg, address, rendered.text);
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
    ...createChatActivities(deps.chat ?? {}),

    /** What the end-of-day summary says, at `now` in the policy's time zone. */
    collectEndOfDay(input: { now: string; timeZone: string }): Promise<EndOfDaySummary> {
      return deps.reviews.endOfDay(input.now, input.timeZone);
    },

    /**
     * Who a proof says acts, once it checks out against this worker's secret, the action, the workflow
     * and the arguments. The secret never enters a workflow, so it is in no history.
     */
    verifyActor(input: ProofCheck): Promise<VerifiedActor> {
      const checked = checkProof(input);
      if ('problem' in checked) throw ApplicationFailure.nonRetryable(`not done: ${checked.problem}`, ErrorType.IdentityRejected);
      return Promise.resolve(checked);
    },

    /** What was sent or kept (incidentctl inbox), newest first. */
    inboxMessages(filter: { recipient?: string; incidentId?: string; limit: number }): Promise<InboxMessage[]> {
      return inbox.messages({ ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) });
    },

    currentPolicy(): Promise<ResponsePolicy> {
      return Promise.resolve(deps.policy);
    },

    /**
     * A policy that arrived in a workflow's input, checked with every rule a policy file is checked with.
     * Anyone who can start a workflow could have written it: a bad one is replaced by this worker's own.
     */
    checkPolicy(snapshot: unknown): Promise<{ problem?: string; policy?: ResponsePolicy }> {
      const checked = checkInputPolicy(snapshot);
      return Promise.resolve('problem' in checked ? { problem: checked.problem, policy: deps.policy } : {});
    },

    async syncIncident(snapshot: IncidentSnapshot): Promise<void> {
      await deps.store.sync(snapshot);
    },

    async draftPostMortem(input: { incidentNumber: number; template: string; dueAt: string }): Promise<string> {
      const draft = renderDraft(input.template, await known(() => deps.reviews.draftData(input.incidentNumber)));
      await deps.reviews.saveDraft(input.incidentNumber, input.dueAt, draft);
      return draft;
    },

    async submitPostMortem(input: { incidentNumber: number; by: string; markdown: string; at: string }): Promise<void> {
      await deps.reviews.submit(input.incidentNumber, input.by, input.markdown, input.at);
    },

    async recordReminder(input: { incidentNumber: number; n: number }): Promise<void> {
      await deps.reviews.recordReminder(input.incidentNumber, input.n);
    },

    addActionItem(input: NewActionItem): Promise<ActionItem> {
      return known(() => deps.reviews.addActionItem(input));
    },

    listActionItems(input: { incidentId?: string; openOnly?: boolean }): Promise<ActionItem[]> {
      return deps.reviews.listActionItems(input);
    },

    completeActionItem(input: { id: string; by: string }): Promise<ActionItem> {
      return known(() => deps.reviews.completeActionItem(input.id, input.by));
    },

    incidentReport(input: { sinceSeconds: number; now: string }): Promise<SeverityReport[]> {
      return deps.reviews.report(input.sinceSeconds, input.now);
    },

    collectDigest(input: { now: string }): Promise<Digest> {
      return deps.reviews.digest(input.now);
    },

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
     * An incident's first step, in one local activity: the policy (the input's, checked, or this
     * worker's), the incident's number, and who is on call at `onCallAt` (now) for the first page.
     */
    async openIncident(input: {
      policy?: unknown;
      registration: RegisterIncidentInput;
      onCallAt: string;
      /** A declaration through the HTTP server: who declared, proven for this workflow and these arguments. */
      declared?: { proof: ActorProof; args: object };
    }): Promise<OpenedIncident> {
      const checked = input.policy === undefined ? undefined : checkInputPolicy(input.policy);
      const problem = checked && 'problem' in checked ? checked.problem : undefined;
      const policy = checked && 'parsed' in checked ? checked.parsed : deps.policy;
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const proven = input.declared && checkProof({ ...input.declared, action: 'declare', workflowId, incidentId: '' });
      const declared: Pick<OpenedIncident, 'declared' | 'declaredProblem'> =
        proven && 'problem' in proven ? { declaredProblem: proven.problem } : proven ? { declared: proven } : {};
      const declarer = declared.declared;
      const number = await deps.store.register(declarer ? { ...input.registration, declaredBy: declarer.name } : input.registration);
      const onCall = (await oncall.whoAt({ oncall: policy.oncall }, Date.parse(input.onCallAt))).now;
      // The policy travels back only when the input had none or a refused one: history holds it once.
      return {
        number,
        onCall,
        ...(input.policy === undefined || problem ? { policy } : { identity: deps.policy.identity }),
        ...(problem ? { problem } : {}),
        ...(Object.keys(deps.chat ?? {}).length ? { chat: true } : {}),
        ...declared,
      };
    },

    /** Who is on call at `at`: overrides from the store over the incident's rotation snapshot. */
    async whoIsOnCall(input: { oncall: ResponsePolicy['oncall']; at: string }): Promise<{ now: OnCallAnswer; next: OnCallAnswer }> {
      return oncall.whoAt({ oncall: input.oncall }, Date.parse(input.at));
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

    /** `incidentctl override list|delete`. */
    async onCallOverrides(request: { op: 'list'; at: string } | { op: 'delete'; id: string }): Promise<Override[]> {
      if (request.op === 'list') return oncall.listOverrides(Date.parse(request.at));
      const deleted = await oncall.deleteOverride(request.id);
      if (!deleted) throw ApplicationFailure.nonRetryable(`no override ${request.id}; see incidentctl override list`, ErrorType.NotFound);
      return [deleted];
    },

    async addOnCallOverride(input: { contactId: string; from: string; to: string; by: string; requestId: string }): Promise<Override> {
      if (!deps.policy.contacts.some((c) => c.id === input.contactId)) {
        throw ApplicationFailure.nonRetryable(
          `unknown contact "${input.contactId}"; contacts: ${deps.policy.contacts.map((c) => c.id).join(', ')}`,
          ErrorType.InvalidInput,
        );
      }
      return oncall.addOverride(input);
    },

    /** A runbook step's result, written by the store's worker (runbook hosts need no store credentials). */
    recordEvidence(input: { incidentNumber: number; plan: StepPlan; approvedBy?: string; result: StepResult }): Promise<number> {
      return evidence.record(input);
    },

    listEvidence(input: { incidentId: string }): Promise<EvidenceRecord[]> {
      return evidence.list(input.incidentId);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
