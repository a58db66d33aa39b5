/**
 * The public status page: only incidents someone published (`incidentctl update --public`), under
 * their public title, state and impact. Internal titles, severities, notes, names and hosts are never
 * read here. Served from visibility and memos alone, so it works while workers are down.
 */ import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ResponsePolicy } from '../../policy/schema';
import { parseIncidentId } from '../../contract';

import { STATUS_CACHE_MS, statusData, type StatusData } from './data';
import { layout, renderFeed, renderIncidentPage, renderStatusPage } from './render';
import { registerSubscriptionRoutes, type SubscriptionDeps } from './subscriptions';

export type { SubscriptionDeps } from './subscriptions';

export function registerStatusRoutes(
  app: FastifyInstance,
  client: Client,
  policy: ResponsePolicy,
  taskQueue: string,
  publicUrl?: string,
  subscriptions: SubscriptionDeps = {},
): void {
  // Anonymous traffic costs Temporal two visibility lists per CACHE_MS at most, whatever the request rate.
  let cached: { at: number; data: Promise<StatusData> } | undefined;
  const data = () => {
    const now = Date.now();
    if (!cached || now - cached.at > STATUS_CACHE_MS) {
      const fresh = { at: now, data: statusData(client, policy, taskQueue, now) };
      fresh.data.catch(() => {
        if (cached === fresh) cached = undefined; // a failed read is not kept
      });
      cached = fresh;
    }
    return cached.data;
  };
  const subscribe = Boolean(subscriptions.store && subscriptions.mailer && subscriptions.secret && subscriptions.publicUrl);
  app.get('/status.json', data);
  app.get('/status', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderStatusPage(await data(), subscribe)));
  registerSubscriptionRoutes(app, policy, subscriptions);
  app.get<{ Params: { id: string } }>('/status/incidents/:id', async (request, reply) => {
    const number = parseIncidentId(request.params.id);
    const d = await data();
    const found = number === undefined ? undefined : [...d.open, ...d.resolved].find((i) => i.id === `INC-${number}`);
    if (!found)
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(layout('Not found', 'No such public incident', '<p class="meta">Nothing has been published under this id.</p>', d));
    return reply.type('text/html; charset=utf-8').send(renderIncidentPage(found, d));
  });
  app.get('/status/feed.atom', async (request, reply) =>
    reply.type('application/atom+xml; charset=utf-8').send(renderFeed(await data(), publicUrl ?? `${request.protocol}://${request.host}`)),
  );
}

// ---- subscriptions: email, double opt-in ----
