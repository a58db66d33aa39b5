import { durationMs, formatDuration } from '../policy/duration';
import { renderTemplate } from '../policy/render';
import type { ResponsePolicy } from '../policy/schema';
import type { IncidentState } from '../contract';

const STATUS_LABEL = { open: 'Investigating', acknowledged: 'Identified', resolved: 'Resolved' } as const;

export function statusUrl(policy: ResponsePolicy, state: IncidentState): string {
  return policy.statusPageUrl.replace('{id}', state.incidentId);
}

/** Where a responder opens the incident (policies from before it have no such link: its status page then). */
export function incidentUrl(policy: ResponsePolicy, state: IncidentState, workflowId: string): string {
  const template = (policy as Partial<ResponsePolicy>).incidentPageUrl;
  return template
    ? template.replace('{id}', state.incidentId).replace('{workflowId}', encodeURIComponent(workflowId))
    : statusUrl(policy, state);
}

function cadence(policy: ResponsePolicy, state: IncidentState): string {
  const every = policy.severities[state.severity].statusUpdateEvery;
  return every ? `Every ${formatDuration(durationMs(every))}` : 'On resolution';
}

/** The fields every template can use. */
export function templateFields(policy: ResponsePolicy, state: IncidentState, nowMs: number) {
  const latest = [...state.timeline].reverse().find((e) => e.kind === 'note' || e.kind === 'phase');
  return {
    id: state.incidentId,
    title: state.title,
    service: state.service,
    severity: state.severity,
    severityLabel: policy.severities[state.severity].label,
    phase: state.phase,
    statusLabel: STATUS_LABEL[state.status],
    started: state.declaredAt,
    elapsed: formatDuration(nowMs - Date.parse(state.declaredAt)),
    impact: `${state.service} (${state.severity} ${policy.severities[state.severity].label})`,
    updateCadence: cadence(policy, state),
    statusUrl: statusUrl(policy, state),
    acknowledgedBy: state.acknowledgedBy ?? 'nobody yet',
    commander: state.commander ?? 'unassigned',
    latest: latest ? `${latest.at} ${latest.actor}: ${latest.text}` : 'no notes yet',
    rootCause: state.rootCause ?? '',
    resolution: state.resolution ?? '',
    duration: formatDuration((state.resolvedAt ? Date.parse(state.resolvedAt) : nowMs) - Date.parse(state.declaredAt)),
    postMortemUrl: `incidentctl postmortem ${state.incidentId}`,
  };
}

export function pageMessage(policy: ResponsePolicy, state: IncidentState, levelName: string, nowMs: number, workflowId: string) {
  return {
    subject: `[${state.severity}] ${state.incidentId}: ${state.title} (page: ${levelName})`,
    body: renderTemplate(policy.templates.page, {
      ...templateFields(policy, state, nowMs),
      level: levelName,
      incidentUrl: incidentUrl(policy, state, workflowId),
    }),
  };
}

export function notificationMessage(
  policy: ResponsePolicy,
  state: IncidentState,
  nowMs: number,
  kind: 'initial' | 'status' | 'resolution' | 'phase' | 'breach' | 'executive' | 'after-hours',
  /** For 'phase', the phase entered (notices may be sent after later moves); for 'breach', what was breached; for 'after-hours', when paging starts. */
  detail = '',
) {
  const fields = templateFields(policy, state, nowMs);
  const prefix = `[${state.severity}] ${state.incidentId}`;
  switch (kind) {
    case 'initial':
      return { subject: `${prefix} Incident detected: ${state.title}`, body: renderTemplate(policy.templates.initialNotification, fields) };
    case 'executive': {
      const room = warRoomUrl(policy, state);
      return {
        subject: `${prefix} Executive notification: ${state.title}`,
        body: renderTemplate(policy.templates.initialNotification, fields) + (room ? `\n\nWar room: ${room}\n` : ''),
      };
    }
    case 'status':
      return { subject: `${prefix} Status update: ${state.title}`, body: renderTemplate(policy.templates.statusUpdate, fields) };
    case 'resolution':
      return { subject: `${prefix} Resolved: ${state.title}`, body: renderTemplate(policy.templates.resolutionNotification, fields) };
    case 'phase':
      return {
        subject: `${prefix} Phase ${detail}: ${state.title}`,
        body: `${state.incidentId} entered the ${detail} phase.\n\n${renderTemplate(policy.templates.statusUpdate, fields)}`,
      };
    case 'after-hours':
      return {
        subject: `${prefix} Outside business hours (no page yet): ${state.title}`,
        body: `${detail}\n\n${renderTemplate(policy.templates.initialNotification, fields)}`,
      };
    case 'breach':
      return { subject: `${prefix} SLA breach: ${detail}`, body: `${detail}\n\n${renderTemplate(policy.templates.statusUpdate, fields)}` };
  }
}

/** The policy's video war room for this incident (chat.warRoom, for its severities); policies without one have none. */
export function warRoomUrl(policy: ResponsePolicy, state: Pick<IncidentState, 'incidentId' | 'number' | 'severity'>): string | undefined {
  const room = policy.chat?.warRoom;
  if (!room || !room.severities.includes(state.severity)) return undefined;
  return room.url.replace(/\{id\}/g, encodeURIComponent(state.incidentId)).replace(/\{number\}/g, String(state.number));
}

/** One SMS segment where possible: severity, id, title and how to acknowledge. */
export function smsText(state: IncidentState): string {
  const tail = ` Reply "ACK ${state.incidentId}" or run: incidentctl ack ${state.incidentId}`;
  const head = `[${state.severity}] ${state.incidentId}: `;
  const room = Math.max(10, 160 - head.length - tail.length);
  const title = state.title.length > room ? `${state.title.slice(0, room - 1)}…` : state.title;
  return `${head}${title}.${tail}`;
}

/** What the voice call says. */
export function callText(state: IncidentState): string {
  return `Incident ${state.incidentId.replace('-', ' ')}, severity ${state.severity.split('').join(' ')}: ${state.title}. To acknowledge, reply ACK ${state.incidentId} to the text message, or run incidentctl ack ${state.incidentId}.`;
}

/** A status update short enough for one SMS: phase, who acknowledged, and the latest note. */
export function statusSmsText(state: IncidentState): string {
  const latest = [...state.timeline].reverse().find((e) => e.kind === 'note');
  const text = `[${state.severity}] ${state.incidentId} status: ${state.phase}, ${state.acknowledgedBy ? `ack ${state.acknowledgedBy}` : 'not acknowledged'}.${latest ? ` Latest: ${latest.text}` : ''}`;
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
