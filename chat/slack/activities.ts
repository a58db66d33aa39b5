/**
 * Activities that make Slack show what the incident's chat view says: its home (a channel of its own,
 * or a thread in #incidents), invitations, topic, the page message with buttons, the pinned summary,
 * the war room, approvals, new events, and the announcements in the plan's channels. Each post is a
 * ledger row under its own key, so a retried sync or a restarted worker never posts twice (a post
 * carries its key as metadata: an attempt killed between Slack's answer and the ledger is found, not
 * repeated); messages that follow the incident (summary, page) are updated in place.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { WebClient } from '@slack/web-api';
import { ErrorType, type ChatSyncResult, type ChatView, type EndOfDaySummary } from '../../contract';
import type { SlackPolicy } from '../../policy/schema';
import type { ChatLedger } from './ledger';
import { FATAL_REFUSALS, slackRefusal } from './client';
import {
  announcement,
  approvalMessage,
  channelName,
  endOfDayMessage,
  eventsMessage,
  pageMessage,
  summaryMessage,
  topic,
  type ChatLinks,
  type SlackMessage,
} from './render';

export interface SlackDeps {
  slack: WebClient;
  ledger: ChatLedger;
  slackPolicy: SlackPolicy;
  /** Each team's own channel (policy teams[].chat.slack), in place of channels.incidents for its incidents. */
  teamChannels?: Record<string, string>;
  links: ChatLinks;
  /** Slack's pace: at most one message per second per channel. */
  minGapMs?: number;
}

/** Where an incident's messages go: its own channel, or a thread under its announcement in #incidents. */
interface Home {
  channel: string;
  threadTs?: string;
  own: boolean;
}

/** Sleeps; inside an activity, heartbeating and ending early (throwing) when the attempt is cancelled or timed out. */
async function pause(ms: number): Promise<void> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined; // called outside an activity (tests of the ledger)
  }
  if (!context) return new Promise((resolve) => setTimeout(resolve, ms));
  context.heartbeat();
  await context.sleep(ms);
}

/** The Slack members of the people the view invites. */
const slackIds = (v: ChatView): string[] => v.invite.flatMap((p) => (p.ids.slack ? [p.ids.slack] : []));

/** The metadata event every post carries, with its ledger scope and key: how a retry finds it. */
const POST_EVENT = 'incident_post';

/** A post Slack refused for this channel or message only: the rest of the sync goes on. */
class Refused extends Error {}

export function createSlackActivities(deps: SlackDeps) {
  const { slack, ledger } = deps;
  const minGapMs = deps.minGapMs ?? 1_000;
  const lastPost = new Map<string, number>();
  const waiting = new Map<string, { urgent: boolean; n: number }[]>();
  const aliases = new Map<string, string>();
  let nextTicket = 0;

  /**
   * Runs `call` in the channel's turn: one message per second per channel (Slack's pace), counted from
   * the end of the previous call (its 429 retries included), first come first served, except that an
   * incident's own messages go before announcements in the shared channels. In an activity it
   * heartbeats while it waits, so an attempt Temporal has given up on stops here instead of posting
   * beside its retry. A channel named (#incidents) and its id are one line once Slack has told us the id.
   */
  const turn = async <T>(channelRef: string, urgent: boolean, call: () => Promise<T>): Promise<T> => {
    const channel = aliases.get(channelRef) ?? channelRef;
    const line = waiting.get(channel) ?? [];
    waiting.set(channel, line);
    const ticket = { urgent, n: nextTicket++ };
    line.push(ticket);
    line.sort((x, y) => Number(y.urgent) - Number(x.urgent) || x.n - y.n);
    try {
      for (;;) {
        const wait = (lastPost.get(channel) ?? 0) + minGapMs - Date.now();
        if (line[0] === ticket && wait <= 0) break;
        await pause(line[0] === ticket ? Math.min(wait, 1_000) : 200);
      }
      return await call();
    } finally {
      // Under the id too, once the call has taught it: the next message may name the channel by id.
      lastPost.set(channel, Date.now());
      lastPost.set(aliases.get(channelRef) ?? channel, Date.now());
      line.splice(line.indexOf(ticket), 1);
      if (!line.length) waiting.delete(channel);
    }
  };

  /** Slack's refusals: fatal ones fail the activity for good; others refuse this post only. */
  const refusal = (error: unknown, what: string): never => {
    const reason = slackRefusal(error);
    if (reason && FATAL_REFUSALS.has(reason))
      throw ApplicationFailure.nonRetryable(`Slack refused ${what}: ${reason}`, ErrorType.DeliveryRejected);
    if (reason) throw new Refused(`${what}: ${reason}`);
    throw error;
  };

  const contentOf = (message: SlackMessage) => JSON.stringify(message);

  /** A channel's id: conversations.history takes no names. */
  const channelId = async (ref: string): Promise<string | undefined> =>
    ref.startsWith('#') ? (aliases.get(ref) ?? (await findChannel(ref.slice(1)))) : ref;

  /**
   * The post an attempt that died made under (scope, key) after `since`, found by the metadata every
   * post carries: Slack may have taken it before the attempt could write it down.
   */
  const findOwnPost = async (
    target: { channel: string; threadTs?: string },
    scope: string,
    key: string,
    since: Date,
  ): Promise<{ channel: string; ts: string } | undefined> => {
    const channel = await channelId(target.channel);
    if (!channel) return undefined;
    // A minute's margin for clocks: the ledger's and Slack's.
    const oldest = String(Math.floor(since.getTime() / 1000) - 60);
    let cursor: string | undefined;
    do {
      const page = target.threadTs
        ? await slack.conversations.replies({ channel, ts: target.threadTs, oldest, include_all_metadata: true, limit: 200, cursor })
        : await slack.conversations.history({ channel, oldest, include_all_metadata: true, limit: 200, cursor });
      const found = page.messages?.find((m) => {
        const payload: Record<string, unknown> = { ...m.metadata?.event_payload };
        return m.metadata?.event_type === POST_EVENT && payload.scope === scope && payload.key === key;
      });
      if (found?.ts) return { channel, ts: found.ts };
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  };

  /**
   * Posts `message` once under (scope, key); with `follow`, later calls update it when it changed.
   * Returns the post, or undefined when Slack refused it for good (said in `problems`).
   */
  const post = async (
    scope: string,
    key: string,
    target: { channel: string; threadTs?: string },
    message: SlackMessage,
    problems: string[],
    /** follow: update it when it changes; announcement: a post in a shared channel, after incidents' own. */
    options: { follow?: boolean; announcement?: boolean; what: string },
  ): Promise<{ channel: string; ts: string; fresh: boolean } | undefined> => {
    const content = contentOf(message);
    const urgent = !options.announcement;
    const known = await ledger.get(scope, key);
    if (known?.status === 'failed') return undefined;
    if (known?.status === 'posted') {
      if (options.follow && known.content !== content) {
        try {
          await turn(known.channel!, urgent, () => slack.chat.update({ channel: known.channel!, ts: known.ts!, ...message }));
          await ledger.updated(scope, key, content);
        } catch (error) {
          const reason = slackRefusal(error);
          if (!reason || FATAL_REFUSALS.has(reason)) refusal(error, `updating ${options.what}`);
          problems.push(`${options.what} not updated: ${reason}`);
        }
      }
      return { channel: known.channel!, ts: known.ts!, fresh: false };
    }
    // The turn first, the claim inside it: a claim is held only while its post is on the wire.
    return turn(target.channel, urgent, async () => {
      const claim = await ledger.claim(scope, key);
      if (!claim.claimed)
        return claim.post.status === 'posted' ? { channel: claim.post.channel!, ts: claim.post.ts!, fresh: false } : undefined;
      try {
        const earlier = claim.since ? await findOwnPost(target, scope, key, claim.since) : undefined;
        if (earlier) {
          // It says what that attempt rendered: a message that follows the incident is brought up to date.
          if (options.follow)
            await slack.chat
              .update({ channel: earlier.channel, ts: earlier.ts, ...message })
              .catch((e: unknown) => refusal(e, `updating ${options.what}`));
          await ledger.posted(scope, key, earlier.channel, earlier.ts, content);
          return { ...earlier, fresh: true };
        }
        const sent = await slack.chat
          .postMessage({
            channel: target.channel,
            ...message,
            ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
            unfurl_links: false,
            metadata: { event_type: POST_EVENT, event_payload: { scope, key } },
          })
          .catch((error: unknown) => refusal(error, `${options.what} in ${target.channel}`));
        if (sent.channel !== target.channel) aliases.set(target.channel, sent.channel!);
        await ledger.posted(scope, key, sent.channel!, sent.ts!, content);
        return { channel: sent.channel!, ts: sent.ts!, fresh: true };
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        await ledger.failed(scope, key, error.message);
        problems.push(error.message);
        return undefined;
      }
    });
  };

  /** A call whose refusal is only a problem to report (already_in_channel and the like are fine). */
  const tolerate = async (call: () => Promise<unknown>, what: string, problems: string[], fine: string[] = []) => {
    try {
      await call();
    } catch (error) {
      const reason = slackRefusal(error);
      if (!reason) throw error;
      if (FATAL_REFUSALS.has(reason)) refusal(error, what);
      if (!fine.includes(reason)) problems.push(`${what}: ${reason}`);
    }
  };

  /** The channel named `name`, made by an attempt that died before the ledger heard of it. */
  const findChannel = async (name: string): Promise<string | undefined> => {
    let cursor: string | undefined;
    do {
      const page = await slack.conversations.list({
        types: 'public_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      const found = page.channels?.find((c) => c.name === name);
      if (found?.id) return found.id;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  };

  /** Where an incident is announced (and threaded when it has no channel of its own): its team's channel, else #incidents. */
  const incidentsChannel = (v: ChatView) => (v.team && deps.teamChannels?.[v.team]) || deps.slackPolicy.channels.incidents;

  const ensureHome = async (scope: string, v: ChatView, problems: string[]): Promise<Home | undefined> => {
    const known = await ledger.get(scope, 'home');
    if (known?.status === 'posted') return { channel: known.channel!, threadTs: known.ts || undefined, own: !known.ts };
    if (known?.status === 'failed') return undefined;
    const incidents = incidentsChannel(v);
    if (deps.slackPolicy.channelPerIncident.includes(v.severity)) {
      await ledger.claim(scope, 'home');
      const name = channelName(deps.slackPolicy.channelName, v);
      let id: string | undefined;
      try {
        id = (await slack.conversations.create({ name })).channel?.id;
      } catch (error) {
        if (slackRefusal(error) !== 'name_taken') refusal(error, `creating #${name}`);
        id = await findChannel(name);
        if (!id) {
          await ledger.failed(scope, 'home', `#${name} exists and is not ours (archived or private)`);
          problems.push(`cannot create #${name}: the name is taken`);
          return undefined;
        }
      }
      await ledger.posted(scope, 'home', id!, '', name);
      return { channel: id!, own: true };
    }
    // No channel of its own: the announcement in #incidents is the thread everything else goes under.
    const parent = await post(
      scope,
      'incidents:new',
      { channel: incidents },
      announcement(v, 'new incident (updates in the thread)'),
      problems,
      {
        what: 'the new incident announcement',
      },
    );
    if (!parent) return undefined;
    await ledger.claim(scope, 'home');
    await ledger.posted(scope, 'home', parent.channel, parent.ts, 'thread');
    return { channel: parent.channel, threadTs: parent.ts, own: false };
  };

  return {
    /** Makes Slack match the incident's chat view; returns the last event posted and what Slack refused. */
    async syncIncidentChat(v: ChatView): Promise<ChatSyncResult> {
      const scope = String(v.incidentNumber);
      const problems: string[] = [];
      const home = await ensureHome(scope, v, problems);
      const lastSeq = v.newEvents.at(-1)?.seq;
      if (!home) return { cursor: lastSeq ?? 0, problems };
      const at = { channel: home.channel, threadTs: home.threadTs };

      if (home.own) {
        for (const user of slackIds(v)) {
          const claim = await ledger.claim(scope, `invite:${user}`);
          if (!claim.claimed) continue;
          await tolerate(() => slack.conversations.invite({ channel: home.channel, users: user }), `inviting ${user}`, problems, [
            'already_in_channel',
            'cant_invite_self',
          ]);
          await ledger.posted(scope, `invite:${user}`, home.channel, '', user);
        }
        const wanted = topic(v);
        const topicRow = await ledger.get(scope, 'topic');
        if (topicRow?.content !== wanted) {
          if (!topicRow) await ledger.claim(scope, 'topic');
          await tolerate(() => slack.conversations.setTopic({ channel: home.channel, topic: wanted }), 'setting the topic', problems);
          await ledger.posted(scope, 'topic', home.channel, '', wanted);
        }
      }

      // The page first: it is what people act on.
      await post(scope, 'page', at, pageMessage(v, slackIds(v)), problems, { follow: true, what: 'the page message' });

      const summary = await post(scope, 'summary', at, summaryMessage(v, deps.links), problems, { follow: true, what: 'the summary' });
      if (summary?.fresh && home.own)
        await tolerate(() => slack.pins.add({ channel: summary.channel, timestamp: summary.ts }), 'pinning the summary', problems, [
          'already_pinned',
        ]);

      if (v.warRoom) {
        const room = await post(scope, 'war-room', at, { text: `:movie_camera: War room for ${v.incidentId}: ${v.warRoom}` }, problems, {
          what: 'the war room link',
        });
        if (room?.fresh && home.own)
          await tolerate(() => slack.pins.add({ channel: room.channel, timestamp: room.ts }), 'pinning the war room', problems, [
            'already_pinned',
          ]);
      }

      for (const approval of v.approvals)
        await post(scope, `approval:${approval.ref}`, at, approvalMessage(v, approval), problems, { what: `approval ${approval.ref}` });

      // New timeline events, as one post (a burst never breaks Slack's pace).
      if (v.newEvents.length) {
        const first = v.newEvents[0]!.seq;
        await post(scope, `events:${first}-${lastSeq}`, at, eventsMessage(v.newEvents), problems, { what: 'timeline events' });
      }

      // The plan's channels, after the incident's own (shared channels are the busiest): the new incident
      // in #incidents, every page announced in #on-call, status updates and the resolution in #incidents.
      const { onCall } = deps.slackPolicy.channels;
      const incidents = incidentsChannel(v);
      const inChannel = home.own ? home.channel : undefined;
      if (home.own)
        await post(scope, 'incidents:new', { channel: incidents }, announcement(v, 'new incident, coordinating', inChannel), problems, {
          what: 'the new incident announcement',
          announcement: true,
        });
      if (v.escalation.level >= 0) {
        const who = v.escalation.names.join(', ');
        await post(
          scope,
          `oncall:${v.escalation.cycle}:${v.escalation.level}`,
          { channel: onCall },
          announcement(v, `paging ${v.escalation.levelName ?? `level ${v.escalation.level}`}${who ? ` (${who})` : ''}`, inChannel),
          problems,
          { what: 'the #on-call announcement', announcement: true },
        );
      }
      // Who was brought in by hand, announced where pages are, once each.
      for (const [i, r] of (v.responders ?? []).entries())
        await post(
          scope,
          `responders:${i + 1}`,
          { channel: onCall },
          announcement(v, `bringing in ${r.who} (by ${r.by})`, inChannel),
          problems,
          { what: 'the #on-call announcement of a responder', announcement: true },
        );
      for (let n = 1; n <= v.statusUpdates; n++)
        await post(
          scope,
          `incidents:status:${n}`,
          home.own ? { channel: incidents } : at,
          announcement(v, `status update #${n}: ${v.status}, phase ${v.phase}, commander ${v.commander ?? 'unassigned'}`, inChannel),
          problems,
          { what: `status update #${n}`, announcement: true },
        );
      if (v.status === 'resolved')
        await post(
          scope,
          'incidents:resolved',
          home.own ? { channel: incidents } : at,
          announcement(v, `resolved by ${v.resolvedBy ?? 'someone'}${v.rootCause ? `. Root cause: ${v.rootCause}` : ''}`, inChannel),
          problems,
          { what: 'the resolution announcement', announcement: true },
        );

      return { cursor: lastSeq ?? 0, problems };
    },

    /** The incident's own channel, archived once its review is complete (a thread has nothing to archive). */
    async archiveIncidentChat(input: { incidentNumber: number; incidentId: string }): Promise<{ archived: boolean }> {
      const scope = String(input.incidentNumber);
      const home = await ledger.get(scope, 'home');
      if (home?.status !== 'posted' || home.ts || !home.channel) return { archived: false };
      const channel = home.channel;
      const claim = await ledger.claim(scope, 'archived');
      if (!claim.claimed) return { archived: claim.post.status === 'posted' };
      const problems: string[] = [];
      await post(
        scope,
        'review-done',
        { channel },
        { text: `The post-incident review of ${input.incidentId} is complete; archiving this channel.` },
        problems,
        {
          what: 'the archive notice',
        },
      );
      await tolerate(() => slack.conversations.archive({ channel }), 'archiving', problems, ['already_archived']);
      await ledger.posted(scope, 'archived', channel, '', problems.join('; '));
      if (problems.length) log.warn('Slack channel not archived cleanly', { problems });
      return { archived: problems.length === 0 };
    },

    /** The end-of-day summary to #engineering, once per local date. */
    async postEndOfDaySummary(input: { summary: EndOfDaySummary; now: string }): Promise<{ posted: boolean; problems: string[] }> {
      const problems: string[] = [];
      const sent = await post(
        'eod',
        input.summary.date,
        { channel: deps.slackPolicy.channels.engineering },
        endOfDayMessage(input.summary, Date.parse(input.now)),
        problems,
        { what: 'the end-of-day summary', announcement: true },
      );
      return { posted: Boolean(sent?.fresh), problems };
    },
  };
}
