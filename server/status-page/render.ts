/** The status page as HTML (one page, an incident's page) and as an Atom feed. */
import { escapeMarkup } from '../../policy/render';
import { PUBLIC_STATE_LABELS, type PublicState } from '../../contract';

import { HISTORY_DAYS, RESOLVED_LISTED_DAYS, worst, type ComponentState, type PublicIncident, type StatusData } from './data';

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
.state.operational{color:var(--ok)}.state.maintenance{color:#0969da}.incident.maintenance{border-left-color:#0969da}.state.degraded{color:var(--deg)}.state.partial-outage{color:var(--part)}.state.major-outage{color:var(--major)}
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
export function htmlPage(o: { title: string; heading: string; siteTitle: string; body: string; head?: string; footer?: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(o.title)}</title>${o.head ?? ''}<style>${STYLE}</style></head>
<body><header><h1>${escapeMarkup(o.heading)}</h1><a href="/status">${escapeMarkup(o.siteTitle)}</a></header>${o.body}${o.footer ?? ''}</body></html>`;
}

export function layout(title: string, heading: string, body: string, data: StatusData): string {
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

/** A component's state; one under maintenance with no incident on it says so. */
function componentState(c: StatusData['components'][number]): string {
  if (c.maintenanceUntil && c.state === 'operational') return `<span class="state maintenance">Under maintenance</span>`;
  return `<span class="state ${c.state}">${LABEL[c.state]}</span>`;
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
          ) => `<div class="component" data-id="${escapeMarkup(c.id)}"><div class="row"><span>${escapeMarkup(c.name)}</span>${componentState(c)}</div>
<div class="bars" aria-label="last ${HISTORY_DAYS} days">${c.history.map((d) => `<span class="${d.state}" title="${d.day}: ${LABEL[d.state]}"></span>`).join('')}</div>
<div class="legend"><span>${HISTORY_DAYS} days ago</span><span>today</span></div></div>`,
        )
        .join('')}</div>`
    : '';
  const names = (ids: string[]) => data.components.filter((c) => ids.includes(c.id)).map((c) => c.name);
  const maintenance = data.maintenance.length
    ? `<h2>Maintenance</h2>${data.maintenance
        .map(
          (w) =>
            `<article class="incident maintenance"><h3>Maintenance: ${escapeMarkup(names(w.components).join(', '))}</h3><p class="meta">Started ${time(w.startedAt, nowMs)} · until <time datetime="${escapeMarkup(w.until)}">${escapeMarkup(readableTime(w.until, nowMs).replace(/, [^,]*$/, ''))}</time></p></article>`,
        )
        .join('')}`
    : '';
  const body = `${banner}${maintenance}${data.open.length ? `<h2>Active incidents</h2>${data.open.map((i) => renderIncident(i, nowMs, false)).join('')}` : ''}${components}
<h2>Past incidents (${RESOLVED_LISTED_DAYS} days)</h2>${data.resolved.map((i) => renderIncident(i, nowMs, true)).join('') || '<p class="meta">No incidents reported.</p>'}${subscribe ? subscribeForm : ''}`;
  return layout(data.title, data.title, body, data);
}

export function renderIncidentPage(i: PublicIncident, data: StatusData): string {
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

/** The subscribe form under the page, when subscriptions are on. */
export const subscribeForm = `<h2>Get updates</h2><form class="subscribe" method="post" action="/status/subscribe"><input type="email" name="email" required placeholder="Email address" aria-label="Email address"><button type="submit">Subscribe by email</button></form>`;
