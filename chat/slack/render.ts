/**
 * What Slack shows, as pure functions of the chat view: the channel's name and topic, the pinned
 * summary, the page message with its buttons, timeline posts, announcements and the end-of-day
 * summary. Text is escaped for Slack's mrkdwn (&, <, >), so nobody's note can mention @channel or
 * forge a link.
 */
import type { Block, KnownBlock } from '@slack/types';
import { type ChatView, type EndOfDaySummary, type TimelineEvent } from '../../contract';
import { SLACK_ACTIONS } from './ids';

export interface ChatLinks {
  /** The Temporal Web UI's base URL. */
  temporalUi: string;
  namespace: string;
}

export interface SlackMessage {
  text: string;
  blocks?: (Block | KnownBlock)[];
}

/** Slack's escaping: only &, < and > are control characters in message text. */
export const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const oneLine = (text: string, max = 300) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** `inc-42-api-5xx-spike`: Slack allows lower-case letters, digits, - and _, 80 characters. */
export function channelName(template: string, view: Pick<ChatView, 'incidentNumber' | 'title' | 'service'>): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '');
  const name = template
    .replace(/\{number\}/g, String(view.incidentNumber))
    .replace(/\{slug\}/g, slug(view.title))
    .replace(/\{service\}/g, slug(view.service));
  return slug(name).slice(0, 80).replace(/-$/, '') || `inc-${view.incidentNumber}`;
}

const statusWord = (v: ChatView) => (v.status === 'resolved' ? 'RESOLVED' : v.status === 'acknowledged' ? 'acknowledged' : 'OPEN');

export function topic(v: ChatView): string {
  return oneLine(`${v.severity} · ${statusWord(v)} · phase ${v.phase} · commander ${v.commander ?? 'unassigned'} · ${v.incidentId}`, 250);
}

const workflowLink = (links: ChatLinks, v: ChatView) =>
  `${links.temporalUi.replace(/\/$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(v.workflowId)}`;

const eventLine = (e: TimelineEvent) =>
  `\`${e.at.slice(11, 19)}\` *${e.kind}* ${esc(e.actor)}${e.via ? ` (${e.via})` : ''}: ${esc(oneLine(e.text))}`;

/** The pinned summary, kept current with chat.update. */
export function summaryMessage(v: ChatView, links: ChatLinks): SlackMessage {
  const ack = v.acknowledgedBy ? `${esc(v.acknowledgedBy)}${v.acknowledgedVia ? ` (${v.acknowledgedVia})` : ''}` : 'not yet';
  const fields = [
    `*Status*\n${statusWord(v)}`,
    `*Severity*\n${v.severity}`,
    `*Phase*\n${v.phase}`,
    `*Commander*\n${esc(v.commander ?? 'unassigned')}`,
    `*Acknowledged*\n${ack}`,
    v.status === 'resolved'
      ? `*Resolved*\n${esc(v.resolvedBy ?? '')} at ${v.resolvedAt ?? ''}`
      : `*Next deadline*\n${esc(v.next ?? 'nothing scheduled')}`,
  ];
  const text = `${v.incidentId} ${v.severity} ${statusWord(v)}: ${esc(v.title)}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: oneLine(`${v.incidentId} · ${v.title}`, 150) } },
      { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
      ...(v.rootCause
        ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `*Root cause*\n${esc(oneLine(v.rootCause, 2000))}` } }]
        : []),
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*Last events*\n${v.lastEvents.map(eventLine).join('\n') || '_none yet_'}` },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `<${workflowLink(links, v)}|Open in Temporal> · \`incidentctl show ${v.incidentId}\` · service ${esc(v.service)}`,
          },
        ],
      },
    ],
  };
}

const button = (text: string, actionId: string, value: string, style?: 'primary' | 'danger') => ({
  type: 'button' as const,
  text: { type: 'plain_text' as const, text },
  action_id: actionId,
  value,
  ...(style ? { style } : {}),
});

/** The actions people can take on an incident from chat; fewer as it moves on. */
export function incidentButtons(v: Pick<ChatView, 'incidentId' | 'status'>): KnownBlock[] {
  if (v.status === 'resolved') return [];
  return [
    {
      type: 'actions',
      block_id: `incident:${v.incidentId}`,
      elements: [
        ...(v.status === 'open' ? [button('Acknowledge', SLACK_ACTIONS.acknowledge, v.incidentId, 'primary')] : []),
        button('Escalate', SLACK_ACTIONS.escalate, v.incidentId, 'danger'),
        button('Resolve', SLACK_ACTIONS.resolve, v.incidentId),
        button('Add note', SLACK_ACTIONS.note, v.incidentId),
      ],
    },
  ];
}

/** The page in the incident's channel: who is paged and the buttons, updated as it is acknowledged. */
export function pageMessage(v: ChatView, mentions: string[]): SlackMessage {
  const who = mentions.map((u) => `<@${u}>`).join(' ');
  const state =
    v.status === 'resolved'
      ? `Resolved by ${esc(v.resolvedBy ?? '')}.`
      : v.acknowledgedBy
        ? `Acknowledged by ${esc(v.acknowledgedBy)}${v.acknowledgedVia ? ` (${v.acknowledgedVia})` : ''}.`
        : 'Not acknowledged yet.';
  const text = `:rotating_light: ${v.severity} ${v.incidentId}: ${esc(v.title)}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:rotating_light: *${v.severity} ${v.incidentId}*: ${esc(v.title)}\nService ${esc(v.service)}. ${who ? `Paged: ${who}. ` : ''}${state}`,
        },
      },
      ...incidentButtons(v),
    ],
  };
}

export function eventsMessage(events: TimelineEvent[]): SlackMessage {
  return { text: events.map(eventLine).join('\n') };
}

export function announcement(v: ChatView, what: string, channelId?: string): SlackMessage {
  const where = channelId ? ` in <#${channelId}>` : '';
  return { text: `*${v.severity} ${v.incidentId}* ${esc(v.title)}: ${what}${where}` };
}

export function approvalMessage(v: ChatView, approval: { ref: string; text: string }): SlackMessage {
  const value = `${v.incidentId} ${approval.ref}`;
  return {
    text: `Approval needed: ${esc(approval.text)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:raised_hand: *Approval needed* (${esc(approval.ref)}): ${esc(approval.text)}` } },
      {
        type: 'actions',
        block_id: `approval:${approval.ref}`,
        elements: [button('Approve', SLACK_ACTIONS.approve, value, 'primary'), button('Reject', SLACK_ACTIONS.reject, value, 'danger')],
      },
    ],
  };
}

const age = (fromIso: string, nowMs: number) => {
  const minutes = Math.max(0, Math.round((nowMs - Date.parse(fromIso)) / 60_000));
  return minutes < 60
    ? `${minutes}m`
    : minutes < 48 * 60
      ? `${Math.floor(minutes / 60)}h ${minutes % 60}m`
      : `${Math.floor(minutes / 1440)}d`;
};

export function endOfDayMessage(s: EndOfDaySummary, nowMs: number): SlackMessage {
  const section = (title: string, lines: string[]) => `*${title} (${lines.length})*\n${lines.length ? lines.join('\n') : '_none_'}`;
  const text = [
    `*End-of-day incident summary, ${s.date}*`,
    section(
      'Open incidents',
      s.open.map((i) => `• ${i.severity} ${i.incidentId} ${esc(i.title)}: phase ${i.phase}, open ${age(i.declaredAt, nowMs)}`),
    ),
    section(
      'Resolved today',
      s.resolvedToday.map((i) => `• ${i.severity} ${i.incidentId} ${esc(i.title)} at ${i.resolvedAt.slice(11, 16)} UTC`),
    ),
    section(
      'Overdue post-mortems',
      s.overduePostMortems.map((p) => `• ${p.incidentId} ${esc(p.title)}, due ${p.dueAt.slice(0, 16).replace('T', ' ')} UTC`),
    ),
    section(
      'Overdue action items',
      s.overdueActionItems.map((a) => `• ${a.id} [${a.incidentId}] ${esc(a.text)} (owner ${esc(a.owner)}, due ${a.due.slice(0, 10)})`),
    ),
  ].join('\n\n');
  return { text };
}
