/**
 * The status page's data: incidents someone published and maintenance windows in force, from visibility
 * and memos alone, and the state of each component over the last 90 days.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { listExecutions } from '../../client/visibility';
import type { ResponsePolicy } from '../../policy/schema';
import { componentsOf } from '../../policy/teams';
import {
  INCIDENT_WORKFLOW_TYPE,
  MAINTENANCE_WORKFLOW_TYPE,
  PHASES,
  PHASE_PUBLIC_STATE,
  PUBLIC_IMPACTS,
  PUBLIC_STATES,
  parseIncidentId,
  searchAttributes,
  type Phase,
  type PublicImpact,
  type PublicState,
  type PublicUpdate,
} from '../../contract';

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
  /** Under maintenance until then. */
  maintenanceUntil?: string;
}

/** A maintenance window in force, as the public sees it: which components, until when (never why). */
export interface PublicMaintenance {
  components: string[];
  startedAt: string;
  until: string;
}

export interface StatusData {
  title: string;
  generatedAt: string;
  components: PublicComponent[];
  maintenance: PublicMaintenance[];
  open: PublicIncident[];
  resolved: PublicIncident[];
}

const RANK: Record<ComponentState, number> = { operational: 0, degraded: 1, 'partial-outage': 2, 'major-outage': 3 };
export const HISTORY_DAYS = 90;
export const RESOLVED_LISTED_DAYS = 14;
/** How long one read of visibility serves every request (the page says when it was generated). */
export const STATUS_CACHE_MS = 5_000;
/** Incidents read from visibility per list; published ones are a small share of them. */
const SCAN_LIMIT = 500;

const ORDER: PublicState[] = ['investigating', 'identified', 'monitoring', 'resolved'];
const later = (a: PublicState, b: PublicState) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a);
export const worst = (states: ComponentState[]) => states.reduce<ComponentState>((a, b) => (RANK[b] > RANK[a] ? b : a), 'operational');

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

/** What `incidentctl maintenance start` writes into a window's memo. */
const maintenanceMemoSchema = z.object({
  maintenance: z.object({ service: z.string().max(100), until: z.iso.datetime({ offset: true }) }),
});

/** Maintenance windows in force, from visibility: running windows of our queue whose memo reads as ours. */
async function maintenanceWindows(client: Client, policy: ResponsePolicy, taskQueue: string, nowMs: number): Promise<PublicMaintenance[]> {
  const query = `WorkflowType = "${MAINTENANCE_WORKFLOW_TYPE}" AND TaskQueue = "${taskQueue.replace(/["\\]/g, '')}" AND ExecutionStatus = "Running"`;
  const found: PublicMaintenance[] = [];
  for await (const w of listExecutions(client, query, SCAN_LIMIT)) {
    const parsed = maintenanceMemoSchema.safeParse(w.memo);
    if (w.taskQueue !== taskQueue || !parsed.success || Date.parse(parsed.data.maintenance.until) <= nowMs) continue;
    const components = componentsOf(policy, parsed.data.maintenance.service);
    if (components.length)
      found.push({ components, startedAt: (w.startTime ?? new Date(nowMs)).toISOString(), until: parsed.data.maintenance.until });
  }
  return found.sort((a, b) => a.until.localeCompare(b.until));
}

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
  const [open, closed, maintenance] = await Promise.all([
    collect(`${base} AND ExecutionStatus = "Running"`),
    collect(`${base} AND ExecutionStatus = "Completed" AND CloseTime > "${since}"`),
    maintenanceWindows(client, policy, taskQueue, nowMs),
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
    const until = maintenance
      .filter((w) => w.components.includes(c.id))
      .map((w) => w.until)
      .sort()
      .pop();
    return { id: c.id, name: c.name, state: current, history, ...(until ? { maintenanceUntil: until } : {}) };
  });
  const recentCutoff = nowMs - RESOLVED_LISTED_DAYS * 86_400_000;
  return {
    title: policy.statusPage?.title ?? 'Service status',
    generatedAt: new Date(nowMs).toISOString(),
    components,
    maintenance,
    open: open.filter((i) => i.state !== 'resolved').sort(newest),
    resolved: all.filter((i) => i.state === 'resolved' && Date.parse(i.resolvedAt ?? i.startedAt) > recentCutoff).sort(newest),
  };
}

// ---- rendering ----

/** "14:05 UTC, 12 minutes ago" (today), "Nov 27, 14:05 UTC, 2 days ago" (earlier). */
