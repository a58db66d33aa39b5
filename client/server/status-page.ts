import { escapeMarkup } from '../../policy/render';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { INCIDENT_WORKFLOW_TYPE, searchAttributes, type Phase, type PublicUpdate } from '../../contract';

export type PublicState = 'investigating' | 'identified' | 'monitoring' | 'resolved';

/** What the public sees of an incident: no notes, runbook output or contacts. */
export interface PublicIncident {
  id: string;
  title: string;
  severity: string;
  state: PublicState;
  startedAt: string;
  resolvedAt?: string;
  updates: PublicUpdate[];
}

const PHASE_STATE: Record<Phase, PublicState> = {
  detect: 'investigating',
  triage: 'investigating',
  contain: 'identified',
  investigate: 'identified',
  resolve: 'monitoring',
  recover: 'monitoring',
  review: 'resolved',
};

const RESOLVED_WINDOW_DAYS = 14;
const LIMIT = 100;

/** From visibility alone (search attributes and memo): fast, and it works while workers are down. */
export async function statusData(
  client: Client,
  nowMs = Date.now(),
): Promise<{ generatedAt: string; open: PublicIncident[]; resolved: PublicIncident[] }> {
  const base = `WorkflowType = "${INCIDENT_WORKFLOW_TYPE}" AND ${searchAttributes.severity.name} IN ("P0", "P1")`;
  const since = new Date(nowMs - RESOLVED_WINDOW_DAYS * 86_400_000).toISOString();
  const collect = async (query: string): Promise<PublicIncident[]> => {
    const found: PublicIncident[] = [];
    for await (const w of client.workflow.list({ query })) {
      const sa = w.typedSearchAttributes;
      const id = sa.get(searchAttributes.incidentId);
      if (!id) continue;
      const status = sa.get(searchAttributes.status);
      const phase = (sa.get(searchAttributes.phase) ?? 'detect') as Phase;
      const updates = Array.isArray(w.memo?.publicUpdates) ? (w.memo.publicUpdates as PublicUpdate[]) : [];
      found.push({
        id,
        title: typeof w.memo?.title === 'string' ? w.memo.title : id,
        severity: sa.get(searchAttributes.severity) ?? '',
        state: status === 'resolved' ? 'resolved' : (PHASE_STATE[phase] ?? 'investigating'),
        startedAt: w.startTime.toISOString(),
        resolvedAt: w.closeTime?.toISOString(),
        updates,
      });
      if (found.length >= LIMIT) break;
    }
    return found;
  };
  const [open, resolved] = await Promise.all([
    collect(`${base} AND ExecutionStatus = "Running"`),
    collect(`${base} AND ExecutionStatus = "Completed" AND CloseTime > "${since}"`),
  ]);
  const newest = (a: PublicIncident, b: PublicIncident) => b.startedAt.localeCompare(a.startedAt);
  return {
    generatedAt: new Date(nowMs).toISOString(),
    open: open.sort(newest),
    resolved: resolved.filter((i) => i.state === 'resolved').sort(newest),
  };
}

function renderIncident(i: PublicIncident): string {
  const updates = [...i.updates]
    .reverse()
    .map((u) => `<li><time>${escapeMarkup(u.at)}</time> ${escapeMarkup(u.text)}</li>`)
    .join('');
  return `<article class="incident ${i.state}" data-id="${escapeMarkup(i.id)}"><h3>${escapeMarkup(i.title)}</h3>
<p><strong class="state">${i.state[0]!.toUpperCase()}${i.state.slice(1)}</strong> · ${escapeMarkup(i.severity)} · started <time>${escapeMarkup(i.startedAt)}</time>${i.resolvedAt ? ` · resolved <time>${escapeMarkup(i.resolvedAt)}</time>` : ''}</p>
${updates ? `<ul class="updates">${updates}</ul>` : ''}</article>`;
}

export function renderStatusPage(data: Awaited<ReturnType<typeof statusData>>): string {
  const banner = data.open.length
    ? `<p class="banner degraded">${data.open.length} active incident${data.open.length > 1 ? 's' : ''}</p>`
    : '<p class="banner ok">All systems operational</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Status</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1f2328}.banner{padding:1rem;border-radius:.5rem;font-weight:600}.ok{background:#dafbe1}.degraded{background:#fff1c2}.incident{border-left:4px solid #d29922;padding:.25rem 1rem;margin:1rem 0}.incident.resolved{border-color:#2da44e}.updates{color:#57606a}</style></head>
<body><h1>Service status</h1>${banner}
<h2>Active incidents</h2>${data.open.map(renderIncident).join('') || '<p>None.</p>'}
<h2>Resolved in the last ${RESOLVED_WINDOW_DAYS} days</h2>${data.resolved.map(renderIncident).join('') || '<p>None.</p>'}
<footer><small>Updated ${escapeMarkup(data.generatedAt)}</small></footer></body></html>`;
}

/** The public status page: GET /status (HTML) and GET /status.json (its data). */
export function registerStatusRoutes(app: FastifyInstance, client: Client): void {
  app.get('/status.json', () => statusData(client));
  app.get('/status', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderStatusPage(await statusData(client))));
}
