/**
 * Short workflows that run one store operation for a caller that only talks to Temporal
 * (incidentctl needs no database credentials), and the scheduled weekly digest.
 */
import { ApplicationFailure, getExternalWorkflowHandle, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { ResponsePolicy } from '../policy/schema';
import { shiftsWithOverrides } from '../policy/schedules';
import { noSuchSchedule, noSuchTeam } from '../policy/teams';
import type { createActivities } from '../activities';
import type {
  ActionItem,
  Digest,
  GroupReport,
  InboxMessage,
  EndOfDaySummary,
  OnCallAnswer,
  Override,
  ReportGroup,
  SeverityReport,
} from '../contract';
import {
  ErrorType,
  type ActorProof,
  type OverrideRequest,
  type ProvenAct,
  type RunbookSummary,
  type ActionItemRequest,
  type EvidenceRecord,
  type MaintenanceWindow,
  type OnCallRequest,
  endMaintenanceSignal,
  type ScheduleCalendar,
  type ScheduleRequest,
  type TeamOnCall,
} from '../contract';
import { resolveTargets } from '../policy/recipients';
import { verifiedActor, type VerifyActivity } from './identity';
import { nowIso } from './clock';

type Activities = ReturnType<typeof createActivities>;
/** Store requests' activities: a few quick retries; what the caller got wrong is final. */
export const storeRequestOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    maximumInterval: '10s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [ErrorType.NotFound, ErrorType.InvalidInput, ErrorType.DeliveryRejected, ErrorType.Forbidden],
  },
};
const options = storeRequestOptions;
const acts = proxyActivities<Activities>(options);

/**
 * Who asks: with a proof (the HTTP server's verified person, signed for this request's workflow and
 * arguments), that person as a worker checked them, "Name (token)"; else the name as written.
 */
async function requester(request: { by: string; proof?: ActorProof }, act: ProvenAct): Promise<string> {
  const verify: VerifyActivity = (check) =>
    acts.verifyActor.executeWithOptions({ ...options, summary: `Verify who asks: ${check.proof.person}` }, [check]);
  // A store request's workflow is its own, so no proof can come back to it: no nonces to keep.
  const actor = await verifiedActor(verify, [], act, request, '');
  return actor.via === 'unverified' ? request.by : `${actor.name} (${actor.via})`;
}

export async function actionItemWorkflow(request: ActionItemRequest): Promise<ActionItem | ActionItem[]> {
  if (request.op === 'add') {
    // The workflow id is unique per request, so a retried activity adds the item once.
    const { proof: _proof, ...item } = request;
    return acts.addActionItem({ ...item, by: await requester(request, 'action-item'), requestId: workflowInfo().workflowId });
  }
  if (request.op === 'list') return acts.listActionItems({ incidentId: request.incidentId, openOnly: request.openOnly });
  return acts.completeActionItem({ id: request.id, by: await requester(request, 'action-item') });
}

/** `incidentctl inbox` over Temporal: what was sent or kept, newest first. */
export async function inboxWorkflow(filter: { recipient?: string; incidentId?: string; limit: number }): Promise<InboxMessage[]> {
  return acts.inboxMessages(filter);
}

export async function reportWorkflow(input: { sinceSeconds: number; by?: ReportGroup }): Promise<SeverityReport[] | GroupReport[]> {
  if (input.by === 'team' || input.by === 'service')
    return acts.incidentReportBy({ sinceSeconds: input.sinceSeconds, now: nowIso(), by: input.by });
  return acts.incidentReport({ sinceSeconds: input.sinceSeconds, now: nowIso() });
}

function renderDigest(digest: Digest): string {
  const lines = ['Weekly post-incident digest', ''];
  lines.push(
    `Open reviews (${digest.openReviews.length}):`,
    ...digest.openReviews.map((r) => `  - ${r.incidentId} ${r.title} (due ${r.dueAt})`),
    '',
  );
  lines.push(
    `Overdue post-mortems (${digest.overduePostMortems.length}):`,
    ...digest.overduePostMortems.map((r) => `  - ${r.incidentId} ${r.title} (due ${r.dueAt}, ${r.remindersSent} reminders sent)`),
    '',
  );
  lines.push(
    `Overdue action items (${digest.overdueActionItems.length}):`,
    ...digest.overdueActionItems.map((a) => `  - ${a.id} [${a.incidentId}] ${a.text} (owner ${a.owner}, due ${a.due})`),
  );
  return lines.join('\n');
}

/** Run by the weekly Schedule (and `incidentctl digest --now`): emails the engineering lead. */
export async function digestWorkflow(): Promise<Digest & { sentTo: string[] }> {
  const policy = await acts.currentPolicy();
  const digest = await acts.collectDigest({ now: nowIso() });
  const { recipients } = resolveTargets(policy, policy.review.digestRecipients, { nowMs: Date.now() });
  const subject = `Post-incident digest: ${digest.overduePostMortems.length} overdue post-mortems, ${digest.overdueActionItems.length} overdue action items`;
  await acts.sendEmail.executeWithOptions(
    { ...options, summary: `Email the digest to ${recipients.map((r) => r.contact.name).join(', ')}` },
    [
      {
        to: recipients.map((r) => ({ name: r.contact.name, email: r.contact.email })),
        subject,
        body: renderDigest(digest),
        messageKey: workflowInfo().workflowId,
      },
    ],
  );
  return { ...digest, sentTo: recipients.map((r) => r.contact.email) };
}

/** Who is on call now and next, overrides included (`incidentctl oncall`). */
export async function onCallWorkflow(
  request: OnCallRequest = {},
): Promise<{ now: OnCallAnswer; next: OnCallAnswer; overrides: Override[]; teams?: TeamOnCall[] }> {
  const policy = await acts.currentPolicy();
  const at = request.at ?? nowIso();
  const [who, overrides] = await Promise.all([acts.whoIsOnCall({ oncall: policy.oncall, at }), acts.onCallOverrides({ op: 'list', at })]);
  const teams = teamsAsked(policy, request.team);
  if (!teams) return { ...who, overrides };
  // Each team's schedule now, and at the end of that shift.
  const answers = await Promise.all(
    teams.map(async (team) => {
      const schedule = policy.schedules.find((s) => s.id === team.schedule)!;
      const now = await acts.whoIsOnSchedule({ schedule, at });
      const next = await acts.whoIsOnSchedule({ schedule, at: now.to });
      return { team: team.id, name: team.name, schedule: schedule.id, now, next };
    }),
  );
  return { ...who, overrides, teams: answers };
}

/** The teams `incidentctl oncall [--team T]` shows: all of a policy with teams, the one named, or none. */
function teamsAsked(policy: ResponsePolicy, team?: string): ResponsePolicy['teams'] | undefined {
  if (team === undefined) return policy.teams.length ? policy.teams : undefined;
  const named = policy.teams.filter((t) => t.id === team);
  if (!named.length) throw ApplicationFailure.nonRetryable(noSuchTeam(policy, team), ErrorType.InvalidInput);
  return named;
}

/** `incidentctl schedule show`: a schedule's shifts between two times (the rotation alone, overrides aside). */
export async function scheduleWorkflow(request: ScheduleRequest): Promise<ScheduleCalendar> {
  const policy = await acts.currentPolicy();
  const schedule = policy.schedules.find((s) => s.id === request.schedule);
  if (!schedule) throw ApplicationFailure.nonRetryable(noSuchSchedule(policy, request.schedule), ErrorType.InvalidInput);
  // Overrides and accepted swaps on top, as pages see them.
  const overrides = await acts.scheduleOverrides({ schedule: schedule.id, from: request.from, to: request.to });
  const shifts = shiftsWithOverrides(schedule, overrides, Date.parse(request.from), Date.parse(request.to));
  return {
    schedule: schedule.id,
    name: schedule.name ?? schedule.id,
    timeZone: schedule.timeZone,
    shifts: shifts.map((s) => ({
      ...(s.contactId ? { contactId: s.contactId } : {}),
      layer: s.layer,
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
    })),
  };
}

/** `incidentctl maintenance list`: windows in force or to come. */
export async function maintenanceListWorkflow(): Promise<MaintenanceWindow[]> {
  return acts.listMaintenance({ at: nowIso() });
}

/** `incidentctl maintenance end M-n`: its workflow is told, and ends the window in the store. */
export async function maintenanceEndWorkflow(request: { id: string; by: string; proof?: ActorProof }): Promise<MaintenanceWindow> {
  const window = await acts.findMaintenance({ id: request.id });
  if (window.endedAt) return window;
  const by = await requester(request, 'maintenance');
  await getExternalWorkflowHandle(window.workflowId).signal(endMaintenanceSignal, { by });
  return { ...window, endedAt: nowIso(), endedBy: by };
}

/** `incidentctl override list|delete`. */
export async function onCallOverridesWorkflow(request: { op: 'list' } | { op: 'delete'; id: string }): Promise<Override[]> {
  return acts.onCallOverrides(request.op === 'list' ? { op: 'list', at: nowIso() } : request);
}

/** `incidentctl override`: the workflow id makes a retried add idempotent. */
export async function onCallOverrideWorkflow(input: OverrideRequest): Promise<Override> {
  const { proof: _proof, ...request } = input;
  return acts.addOnCallOverride({ ...request, by: await requester(input, 'override'), requestId: workflowInfo().workflowId });
}

/** `incidentctl runbook list`: the runbooks this worker's policy defines. */
export async function runbookCatalogWorkflow(): Promise<RunbookSummary[]> {
  const policy = await acts.currentPolicy();
  return (policy.runbooks?.definitions ?? []).map((d) => ({
    id: d.id,
    title: d.title,
    steps: d.steps.length,
    needApproval: d.steps.filter((s) => s.approval === 'required').length,
    matches: [
      ...(d.match.always ? ['every incident'] : []),
      ...d.match.alertnames.map((a) => `alertname=${a}`),
      ...Object.entries(d.match.labels).map(([k, v]) => `${k}=${v}`),
    ],
  }));
}

/** Every runbook step's evidence for one incident (incidentctl show ID --evidence). */
export async function evidenceWorkflow(input: { incidentId: string }): Promise<EvidenceRecord[]> {
  return acts.listEvidence(input);
}

/**
 * Run by the end-of-day Schedule (policy chat.endOfDay, in its time zone): open incidents with phase
 * and age, those resolved today, overdue post-mortems and action items, posted to each chat platform's
 * engineering channel once per local date.
 */
export async function endOfDayWorkflow(): Promise<EndOfDaySummary & { posted: boolean; problems: string[] }> {
  const policy = await acts.currentPolicy();
  const now = nowIso();
  const summary = await acts.collectEndOfDay({ now, timeZone: policy.chat.endOfDay.timeZone });
  const sent = await acts.postEndOfDaySummary.executeWithOptions(
    {
      ...options,
      startToCloseTimeout: '2m',
      summary: `Post the end-of-day summary of ${summary.date} to chat`,
    },
    [{ summary, now }],
  );
  return { ...summary, ...sent };
}
