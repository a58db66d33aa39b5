/**
 * The public status page: only incidents someone published (`incidentctl update --public`), under
 * their public title, state and impact. Internal titles, severities, notes, names and hosts are never
 * read here. Served from visibility and memos alone, so it works while workers are down.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { checkSubscriptionToken, subscriptionToken, type SubscriberStore } from '../store/subscribers';
import type { Mailer } from '../adapters/mailer';
import { escapeMarkup } from '../policy/render';
import { listExecutions } from '../client/visibility';
import { RateLimit, mailbox } from './rate-limit';
import type { ResponsePolicy } from '../policy/schema';
import {
  INCIDENT_WORKFLOW_TYPE,
  PHASES,
  PHASE_PUBLIC_STATE,
  PUBLIC_IMPACTS,
  PUBLIC_STATES,
  PUBLIC_STATE_LABELS,
  parseIncidentId,
  searchAttributes,
  type Phase,
  type PublicImpact,
  type PublicState,
  type PublicUpdate,
} from '../contract';

/** What the public sees of an incident. */
export interface PublicIncident {
  id: string;
  title: string;
  state: PublicState;
  impact: PublicImpact;
  components: string[];
  startedAt: string;
  resolvedAt?: string;
  updates: PublicUpdate[];
}

export type ComponentState = 'operational' | PublicImpact;
export interface PublicComponent {
  id: string;
  name: string;
  state: ComponentState;
  /** The worst state of each of the last HISTORY_DAYS days, oldest first. */
  history: { day: string; state: ComponentState }[];
}

export interface StatusData {
  title: string;
  generatedAt: string;
  components: PublicComponent[];
  open: PublicIncident[];
  resolved: PublicIncident[];
}

const RANK: Record<ComponentState, number> = { operational: 0, degraded: 1, 'partial-outage': 2, 'major-outage': 3 };
const HISTORY_DAYS = 90;
const RESOLVED_LISTED_DAYS = 14;
/** How long one read of visibility serves every request (the page says when it was generated). */
export const STATUS_CACHE_MS = 5_000;
/** Incidents read from visibility per list; published ones are a small share of them. */
const SCAN_LIMIT = 500;

const ORDER: PublicState[] = ['investigating', 'identified', 'monitoring', 'resolved'];
const later = (a: PublicState, b: PublicState) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a);
const worst = (states: ComponentState[]) => states.reduce<ComponentState>((a, b) => (RANK[b] > RANK[a] ? b : a), 'operational');

/** What a worker writes into an incident's memo when someone publishes; anything else is not shown. */
const publicMemoSchema = z.object({
  publicUpdates: z
    .array(
      z.object({
        at: z.iso.datetime({ offset: true }),
        text: z.string().max(4000),
        state: z.enum(PUBLIC_STATES).optional(),
      }),
    )
    .min(1)
    .max(500),
  publicTitle: z.string().max(300).optional(),
  publicImpact: z.enum(PUBLIC_IMPACTS).optional(),
  publicComponents: z.array(z.string().max(100)).max(100).optional(),
});

/**
 * Published incidents, read from visibility: only executions of our incident workflow on the queue our
 * workers serve, whose memo opens with our payload key and reads as a worker writes it. One that does
 * not is left out, never the page.
 */
export async function statusData(client: Client, policy: ResponsePolicy, taskQueue: string, nowMs = Date.now()): Promise<StatusData> {
  const base = `WorkflowType = "${INCIDENT_WORKFLOW_TYPE}" AND TaskQueue = "${taskQueue.replace(/["\\]/g, '')}"`;
  const since = new Date(nowMs - HISTORY_DAYS * 86_400_000).toISOString();
  const collect = async (query: string): Promise<PublicIncident[]> => {
    const found: PublicIncident[] = [];
    for await (const w of listExecutions(client, query, SCAN_LIMIT)) {
      if (w.taskQueue !== taskQueue || !w.memo || !('publicUpdates' in w.memo)) continue; // never published: not public
      const id = w.keywords[searchAttributes.incidentId.name];
      const parsed = publicMemoSchema.safeParse(w.memo);
      if (!id || parseIncidentId(id) === undefined || !parsed.success) continue;
      const memo = parsed.data;
      const updates = memo.publicUpdates as PublicUpdate[];
      const phase = (PHASES as readonly string[]).includes(w.keywords[searchAttributes.phase.name] ?? '')
        ? (w.keywords[searchAttributes.phase.name] as Phase)
        : 'detect';
      const latest = updates[updates.length - 1]!;
      found.push({
        id,
        // Updates posted before public titles existed have none: a neutral title, never the internal one.
        title: memo.publicTitle ?? 'Service disruption',
        // What was published, moved on by the phase (a contained incident is "identified"), never back.
        state: !w.running || phase === 'review' ? 'resolved' : later(latest.state ?? 'investigating', PHASE_PUBLIC_STATE[phase]),
        impact: memo.publicImpact ?? 'partial-outage',
        components: memo.publicComponents ?? [],
        startedAt: updates[0]!.at,
        resolvedAt: w.running ? undefined : w.closeTime?.toISOString(),
        updates,
      });
    }
    return found;
  };
  const [open, closed] = await Promise.all([
    collect(`${base} AND ExecutionStatus = "Running"`),
    collect(`${base} AND ExecutionStatus = "Completed" AND CloseTime > "${since}"`),
  ]);
  const newest = (a: PublicIncident, b: PublicIncident) => b.startedAt.localeCompare(a.startedAt);
  const all = [...open, ...closed];
  const today = Math.floor(nowMs / 86_400_000);
  const components = (policy.statusPage?.components ?? []).map((c): PublicComponent => {
    const touching = all.filter((i) => i.components.includes(c.id));
    const history = Array.from({ length: HISTORY_DAYS }, (_, k) => {
      const day = today - (HISTORY_DAYS - 1 - k);
      const [from, to] = [day * 86_400_000, (day + 1) * 86_400_000];
      const that = touching.filter((i) => Date.parse(i.startedAt) < to && (i.resolvedAt ? Date.parse(i.resolvedAt) : nowMs) >= from);
      return { day: new Date(from).toISOString().slice(0, 10), state: worst(that.map((i) => i.impact)) };
    });
    const current = worst(touching.filter((i) => i.state !== 'resolved').map((i) => i.impact));
    return { id: c.id, name: c.name, state: current, history };
  });
  const recentCutoff = nowMs - RESOLVED_LISTED_DAYS * 86_400_000;
  return {
    title: policy.statusPage?.title ?? 'Service status',
    generatedAt: new Date(nowMs).toISOString(),
    components,
    open: open.filter((i) => i.state !== 'resolved').sort(newest),
    resolved: all.filter((i) => i.state === 'resolved' && Date.parse(i.resolvedAt ?? i.startedAt) > recentCutoff).sort(newest),
  };
}

// ---- rendering ----

/** "14:05 UTC, 12 minutes ago" (today), "Nov 27, 14:05 UTC, 2 days ago" (earlier). */
export function readableTime(iso: string, nowMs: number): string {
  const at = new Date(iso);
  const sameDay = at.toISOString().slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  const clock = `${at.toISOString().slice(11, 16)} UTC`;
  const date = at.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const minutes = Math.max(0, Math.round((nowMs - at.getTime()) / 60_000));
  const ago =
    minutes < 1
      ? 'just now'
      : minutes < 60
        ? `${minutes} minute${minutes === 1 ? '' : 's'} ago`
        : minutes < 48 * 60
          ? `${Math.round(minutes / 60)} hour${Math.round(minutes / 60) === 1 ? '' : 's'} ago`
          : `${Math.round(minutes / 1440)} days ago`;
  return `${sameDay ? clock : `${date}, ${clock}`}, ${ago}`;
}

const LABEL: Record<ComponentState | PublicState, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  'partial-outage': 'Partial outage',
  'major-outage': 'Major outage',
  ...PUBLIC_STATE_LABELS,
};

const time = (iso: string, nowMs: number) => `<time datetime="${escapeMarkup(iso)}">${escapeMarkup(readableTime(iso, nowMs))}</time>`;

const STYLE = `:root{--ok:#1a7f37;--deg:#bf8700;--part:#d1600f;--major:#cf222e;--muted:#59636e;--line:#d1d9e0}
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:52rem;margin:0 auto;padding:1.5rem 1rem 3rem;color:#1f2328;line-height:1.45}
header{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}header h1{font-size:1.5rem;margin:0}header a{color:var(--muted);font-size:.9rem}
a{color:#0969da}.banner{padding:1rem 1.25rem;border-radius:.5rem;font-weight:600;color:#fff;margin:0 0 1.5rem}
.banner.operational{background:var(--ok)}.banner.degraded{background:var(--deg)}.banner.partial-outage{background:var(--part)}.banner.major-outage{background:var(--major)}
h2{font-size:1.1rem;margin:2rem 0 .75rem}.components{border:1px solid var(--line);border-radius:.5rem}
.component{padding:.9rem 1rem;border-top:1px solid var(--line)}.component:first-child{border-top:0}
.component .row{display:flex;justify-content:space-between;gap:1rem}.component .state{font-size:.9rem}
.state.operational{color:var(--ok)}.state.degraded{color:var(--deg)}.state.partial-outage{color:var(--part)}.state.major-outage{color:var(--major)}
.bars{display:flex;gap:1px;margin-top:.5rem;height:1.6rem}.bars span{flex:1;border-radius:1px;background:var(--ok)}
.bars .degraded{background:var(--deg)}.bars .partial-outage{background:var(--part)}.bars .major-outage{background:var(--major)}
.legend{display:flex;justify-content:space-between;color:var(--muted);font-size:.75rem;margin-top:.25rem}
.incident{border:1px solid var(--line);border-left:4px solid var(--part);border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
.incident.major-outage{border-left-color:var(--major)}.incident.degraded{border-left-color:var(--deg)}.incident.resolved{border-left-color:var(--ok)}
.incident h3{margin:0 0 .25rem;font-size:1rem}.meta{color:var(--muted);font-size:.85rem;margin:0}
.updates{list-style:none;padding:0;margin:.75rem 0 0}.updates li{padding:.5rem 0;border-top:1px solid var(--line)}
.updates strong{margin-right:.35rem}.updates time{display:block;color:var(--muted);font-size:.8rem}
footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem;display:flex;gap:1rem;flex-wrap:wrap}
.subscribe{display:flex;gap:.5rem;flex-wrap:wrap}.subscribe input{flex:1;min-width:12rem;padding:.5rem;border:1px solid var(--line);border-radius:.375rem;font:inherit}
button{padding:.5rem 1rem;border:0;border-radius:.375rem;background:#1f2328;color:#fff;font:inherit;cursor:pointer}
@media (max-width:40rem){body{padding:1rem .75rem 2rem}.bars{height:1.2rem}.bars span:nth-child(-n+60){display:none}}`;

/** Every status page's HTML around its body: the head, the style, and a header linking back to /status. */
function htmlPage(o: { title: string; heading: string; siteTitle: string; body: string; head?: string; footer?: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(o.title)}</title>${o.head ?? ''}<style>${STYLE}</style></head>
<body><header><h1>${escapeMarkup(o.heading)}</h1><a href="/status">${escapeMarkup(o.siteTitle)}</a></header>${o.body}${o.footer ?? ''}</body></html>`;
}

function layout(title: string, heading: string, body: string, data: StatusData): string {
  return htmlPage({
    title,
    heading,
    siteTitle: data.title,
    body,
    head: '<link rel="alternate" type="application/atom+xml" title="Incidents" href="/status/feed.atom">',
    footer: `\n<footer><span>Updated ${time(data.generatedAt, Date.parse(data.generatedAt))}</span><a href="/status/feed.atom">Atom feed</a><a href="/status.json">JSON</a></footer>`,
  });
}

function renderUpdates(i: PublicIncident, nowMs: number): string {
  return [...i.updates]
    .reverse()
    .map((u) => `<li><strong>${LABEL[u.state ?? 'investigating']}</strong>${escapeMarkup(u.text)}${time(u.at, nowMs)}</li>`)
    .join('');
}

function renderIncident(i: PublicIncident, nowMs: number, latestOnly: boolean): string {
  const updates = latestOnly ? { ...i, updates: i.updates.slice(-1) } : i;
  const cls = escapeMarkup(i.state === 'resolved' ? 'resolved' : i.impact);
  return `<article class="incident ${cls}" data-id="${escapeMarkup(i.id)}"><h3><a href="/status/incidents/${escapeMarkup(i.id)}">${escapeMarkup(i.title)}</a></h3>
<p class="meta"><strong class="state">${LABEL[i.state]}</strong> · ${LABEL[i.impact]} · started ${time(i.startedAt, nowMs)}${i.resolvedAt ? ` · resolved ${time(i.resolvedAt, nowMs)}` : ''}</p>
<ul class="updates">${renderUpdates(updates, nowMs)}</ul></article>`;
}

export function renderStatusPage(data: StatusData, subscribe = false): string {
  const nowMs = Date.parse(data.generatedAt);
  const overall = worst([...data.components.map((c) => c.state), ...data.open.map((i) => i.impact)]);
  const banner = `<p class="banner ${overall}">${overall === 'operational' ? 'All systems operational' : `${data.open.length} active incident${data.open.length === 1 ? '' : 's'}: ${LABEL[overall].toLowerCase()}`}</p>`;
  const components = data.components.length
    ? `<h2>Components</h2><div class="components">${data.components
        .map(
          (
            c,
          ) => `<div class="component" data-id="${escapeMarkup(c.id)}"><div class="row"><span>${escapeMarkup(c.name)}</span><span class="state ${c.state}">${LABEL[c.state]}</span></div>
<div class="bars" aria-label="last ${HISTORY_DAYS} days">${c.history.map((d) => `<span class="${d.state}" title="${d.day}: ${LABEL[d.state]}"></span>`).join('')}</div>
<div class="legend"><span>${HISTORY_DAYS} days ago</span><span>today</span></div></div>`,
        )
        .join('')}</div>`
    : '';
  const body = `${banner}${data.open.length ? `<h2>Active incidents</h2>${data.open.map((i) => renderIncident(i, nowMs, false)).join('')}` : ''}${components}
<h2>Past incidents (${RESOLVED_LISTED_DAYS} days)</h2>${data.resolved.map((i) => renderIncident(i, nowMs, true)).join('') || '<p class="meta">No incidents reported.</p>'}${subscribe ? subscribeForm : ''}`;
  return layout(data.title, data.title, body, data);
}

function renderIncidentPage(i: PublicIncident, data: StatusData): string {
  const nowMs = Date.parse(data.generatedAt);
  const names = data.components.filter((c) => i.components.includes(c.id)).map((c) => c.name);
  const body = `<article class="incident ${escapeMarkup(i.state === 'resolved' ? 'resolved' : i.impact)}" data-id="${escapeMarkup(i.id)}">
<p class="meta"><strong class="state">${LABEL[i.state]}</strong> · ${LABEL[i.impact]}${names.length ? ` · affects ${escapeMarkup(names.join(', '))}` : ''}</p>
<p class="meta">Started ${time(i.startedAt, nowMs)}${i.resolvedAt ? ` · resolved ${time(i.resolvedAt, nowMs)}` : ''}</p>
<ul class="updates">${renderUpdates(i, nowMs)}</ul></article>`;
  return layout(`${i.title} · ${data.title}`, i.title, body, data);
}

/** An Atom feed with one entry per public update. */
export function renderFeed(data: StatusData, baseUrl: string): string {
  const base = baseUrl.replace(/\/$/, '');
  const entries = [...data.open, ...data.resolved]
    .flatMap((i) => i.updates.map((u, n) => ({ i, u, n })))
    .sort((a, b) => b.u.at.localeCompare(a.u.at))
    .slice(0, 50);
  // XML 1.0 allows no control characters but tab and new lines: they are dropped, never sent.
  // eslint-disable-next-line no-control-regex
  const x = (text: string) => escapeMarkup(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g, ''));
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>${x(data.title)}</title><id>${x(base)}/status</id>
<link rel="self" href="${x(base)}/status/feed.atom"/><link href="${x(base)}/status"/><updated>${x(entries[0]?.u.at ?? data.generatedAt)}</updated>
${entries
  .map(
    ({
      i,
      u,
      n,
    }) => `<entry><title>${x(i.title)}: ${LABEL[u.state ?? 'investigating']}</title><id>${x(base)}/status/incidents/${x(i.id)}#${n + 1}</id>
<link href="${x(base)}/status/incidents/${x(i.id)}"/><updated>${x(u.at)}</updated><author><name>${x(data.title)}</name></author><content type="text">${x(u.text)}</content></entry>`,
  )
  .join('\n')}
</feed>`;
}

/** GET /status, /status/incidents/INC-n, /status/feed.atom and /status.json. */
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
export const subscribeForm = `<h2>Get updates</h2><form class="subscribe" method="post" action="/status/subscribe"><input type="email" name="email" required placeholder="Email address" aria-label="Email address"><button type="submit">Subscribe by email</button></form>`;
