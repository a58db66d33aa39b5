/** Email subscriptions to the status page: subscribe, confirm, unsubscribe, each by a signed link. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { checkSubscriptionToken, subscriptionToken, type SubscriberStore } from '../../store/subscribers';
import type { Mailer } from '../../adapters/mailer';
import { escapeMarkup } from '../../policy/render';
import { RateLimit, mailbox } from '../rate-limit';
import type { ResponsePolicy } from '../../policy/schema';

import { htmlPage } from './render';

export interface SubscriptionDeps {
  store?: SubscriberStore;
  mailer?: Mailer;
  /** Signs confirm and unsubscribe links (the acknowledge-link secret, which workers hold too). */
  secret?: string;
  publicUrl?: string;
  /** Confirmation emails the whole form may cause per ten minutes (default 200). */
  maxPerTenMinutes?: number;
}

const EMAIL = z.email().max(254);

/**
 * POST /status/subscribe sends a confirmation link; opening a link (GET) only shows a button, since
 * mail scanners fetch every link; the button (POST) confirms or unsubscribes. Unsubscribe links also take
 * the one-click POST of RFC 8058.
 */
export function registerSubscriptionRoutes(app: FastifyInstance, policy: ResponsePolicy, deps: SubscriptionDeps): void {
  const title = policy.statusPage?.title ?? 'Service status';
  const page = (heading: string, body: string) => htmlPage({ title: heading, heading, siteTitle: title, body });
  const html = (reply: FastifyReply, status: number, heading: string, body: string) =>
    reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page(heading, body));
  const off = (reply: FastifyReply) =>
    html(reply, 404, 'Subscriptions are off', '<p class="meta">This status page takes no subscriptions.</p>');
  const enabled = () => deps.store && deps.mailer && deps.secret && deps.publicUrl;
  const limits = {
    perClient: new RateLimit(5, 10 * 60_000),
    perInbox: new RateLimit(3, 60 * 60_000),
    all: new RateLimit(deps.maxPerTenMinutes ?? 200, 10 * 60_000),
  };

  void app.register((scope, _opts, next) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.post<{ Body: Record<string, string> }>('/status/subscribe', async (request, reply) => {
      if (!enabled()) return off(reply);
      const email = EMAIL.safeParse((request.body?.email ?? '').trim());
      if (!email.success) return html(reply, 400, 'Not subscribed', '<p class="meta">That is not an email address.</p>');
      // Not a mail cannon: a few attempts per client address, per inbox (plus-addressing included) and in all.
      const over = [
        [limits.perClient, request.ip],
        [limits.perInbox, mailbox(email.data)],
        [limits.all, 'all'],
      ].find(([limit, key]) => !(limit as RateLimit).take(key as string)) as [RateLimit, string] | undefined;
      if (over) {
        void reply.header('retry-after', String(over[0].retryAfter(over[1])));
        return html(reply, 429, 'Too many requests', '<p class="meta">Too many subscription requests; try again later.</p>');
      }
      // Answered first, mailed after: how long the answer takes does not tell who is subscribed.
      const confirm = async () => {
        const { id, sendConfirmation } = await deps.store!.subscribe(email.data);
        if (!sendConfirmation) return;
        const link = `${deps.publicUrl!.replace(/\/$/, '')}/status/subscriptions/confirm/${subscriptionToken(deps.secret!, 'confirm', id)}`;
        await deps.mailer!.send({
          to: email.data,
          subject: `Confirm your subscription to ${title}`,
          text: `Someone (hopefully you) asked for ${title} updates at this address.\n\nConfirm: ${link}\n\nIf it was not you, ignore this email: nothing will be sent.`,
          messageId: `<subscription-${id}-${Date.now()}@incident-orchestrator>`,
          headers: {},
        });
      };
      reply.raw.once(
        'finish',
        () => void confirm().catch((error: unknown) => request.log.warn({ err: error }, 'confirmation email not sent')),
      );
      // The same answer either way: the form does not tell who is subscribed.
      return html(
        reply,
        200,
        'Check your inbox',
        `<p>If ${escapeMarkup(email.data)} is not subscribed yet, a confirmation link is on its way.</p>`,
      );
    });

    for (const purpose of ['confirm', 'unsubscribe'] as const) {
      const verb = purpose === 'confirm' ? 'Confirm subscription' : 'Unsubscribe';
      const check = (token: string) => checkSubscriptionToken(deps.secret!, purpose, token);
      scope.get<{ Params: { token: string } }>(`/status/subscriptions/${purpose}/:token`, async (request, reply) => {
        if (!enabled()) return off(reply);
        const checked = check(request.params.token);
        if ('problem' in checked) return html(reply, 403, 'Link refused', `<p>${escapeMarkup(checked.problem)}</p>`);
        return html(reply, 200, verb, `<form method="post"><button type="submit">${verb}</button></form>`);
      });
      scope.post<{ Params: { token: string } }>(`/status/subscriptions/${purpose}/:token`, async (request, reply) => {
        if (!enabled()) return off(reply);
        const checked = check(request.params.token);
        if ('problem' in checked) return html(reply, 403, 'Link refused', `<p>${escapeMarkup(checked.problem)}</p>`);
        const email = purpose === 'confirm' ? await deps.store!.confirm(checked.id) : await deps.store!.unsubscribe(checked.id);
        if (!email)
          return html(reply, 404, 'Nothing changed', '<p>This subscription no longer exists; subscribe again from the status page.</p>');
        return html(
          reply,
          200,
          purpose === 'confirm' ? 'Subscribed' : 'Unsubscribed',
          purpose === 'confirm'
            ? `<p>${escapeMarkup(email)} gets an email with every public update. Each one has an unsubscribe link.</p>`
            : `<p>${escapeMarkup(email)} gets no more updates.</p>`,
        );
      });
    }
    next();
  });
}

/** The subscribe form on the status page, when subscriptions are on. */
