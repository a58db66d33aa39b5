/**
 * What chat shows of an incident (pure): made after every change, compared with what the lane last
 * handed the worker, so an unchanged view costs no activity.
 */
import type { ChatView, Deadlines } from '../../contract';
import { warRoomUrl } from '../messages';
import type { IncidentModel } from './state';

/** Events after `cursor`, at most this many per post (the rest go in the next one). */
export const EVENTS_PER_POST = 25;

const nextDeadline = (d: Deadlines): string | undefined =>
  d.nextEscalation
    ? `escalation at ${d.nextEscalation}`
    : d.publicUpdate
      ? `public status update due ${d.publicUpdate}`
      : d.nextStatusUpdate
        ? `status update at ${d.nextStatusUpdate}`
        : d.phaseBudget
          ? `${d.phaseBudget.phase} budget ends ${d.phaseBudget.at}`
          : undefined;

export function chatView(m: IncidentModel, workflowId: string, deadlines: Deadlines): ChatView | undefined {
  const { state, policy } = m;
  const chat = m.book.chat;
  if (!chat || !state.number) return undefined;
  const contacts = new Map(policy.contacts.map((c) => [c.id, c]));
  const people = [...(state.pagedContacts ?? []), ...(state.commander ? [state.commander] : [])];
  // Each platform's adapter picks its own account of each person.
  const invite = [...new Set(people)].flatMap((id) => {
    const ids = contacts.get(id)?.chat;
    return ids && Object.keys(ids).length ? [{ contactId: id, ids }] : [];
  });
  const level = state.escalationLevel >= 0 ? policy.escalation.levels[state.escalationLevel] : undefined;
  return {
    incidentNumber: state.number,
    incidentId: state.incidentId,
    workflowId,
    title: state.title,
    service: state.service,
    ...(state.team ? { team: state.team } : {}),
    ...(state.responders?.length ? { responders: state.responders.map((r) => ({ who: r.who, by: r.by })) } : {}),
    severity: state.severity,
    status: state.status,
    phase: state.phase,
    declaredAt: state.declaredAt,
    commander: state.commander && (contacts.get(state.commander)?.name ?? state.commander),
    acknowledgedBy: state.acknowledgedBy,
    acknowledgedVia: state.acknowledgedVia,
    resolvedBy: state.resolvedBy,
    resolvedAt: state.resolvedAt,
    rootCause: state.rootCause,
    next: state.status === 'resolved' ? undefined : nextDeadline(deadlines),
    lastEvents: state.timeline.slice(-3),
    newEvents: state.timeline.filter((e) => e.seq > chat.cursor).slice(0, EVENTS_PER_POST),
    invite,
    escalation: {
      level: state.escalationLevel,
      cycle: state.escalationCycle,
      levelName: level?.name,
      names: level
        ? level.targets.map((t) => (t === 'oncall' ? 'on-call' : t.startsWith('role:') ? t.slice(5) : (contacts.get(t)?.name ?? t)))
        : [],
    },
    statusUpdates: m.book.statusUpdatesSent,
    approvals: chat.approvals,
    warRoom: warRoomUrl(policy, state),
  };
}
