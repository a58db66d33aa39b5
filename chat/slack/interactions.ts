/**
 * Slack's requests to us: button presses and modal submissions (/slack/interactions) and the
 * `/incident` slash command (/slack/commands). Each is believed only with Slack's signature over
 * `v0:timestamp:body` (checked by Slack's own helper), within five minutes, and never twice. The
 * person is the policy contact whose `chat.slack` Slack names; they act with a signed proof (`chat`),
 * as with an API token. Slack wants an answer within 3 s: work that takes longer answers through the
 * request's response_url.
 */
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorType, type Action, type IncidentState } from '../../contract';
import { SLACK_ACTIONS, SLACK_MODALS } from './ids';
import type { ChatLedger } from './ledger';
import { esc } from './render';
import type { ResponsePolicy } from '../../policy/schema';
import { IncidentError } from '../../client/failures';
import { findIncident, readState } from '../../client/temporal';
import { actAs, declareAs, type VerifiedPerson } from '../../server/act-as';
import { SLASH_HELP, parseSlashCommand } from './commands';
import { slackSignatureProblem } from './signature';

export interface SlackRoutesDeps {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  signingSecret: string;
  identitySecret: string;
  /** Signs approvals for runbook hosts (APPROVAL_SIGNING_KEY). */
  approvalKey?: KeyObject;
  ledger: ChatLedger;
  /** Opens the resolve and note modals, and tells a person what happened when a modal's work outlasts 3 s. */
  slack: WebClient;
  /** Origins response_url may point at (Slack's hooks, or a stand-in's). */
  responseOrigins: string[];
  /** How long to work before answering "working on it" and following up through response_url. */
  answerWithinMs?: number;
}

type Form = Record<string, string>;
/** Work that outlasts Slack's answer window. */
const LATE = Symbol('late');
const reply = (text: string) => ({ response_type: 'ephemeral', text });

export function registerSlackRoutes(app: FastifyInstance, deps: SlackRoutesDeps): void {
  const answerWithinMs = deps.answerWithinMs ?? 2_000;
  const person = (slackUserId: unknown): VerifiedPerson | undefined => {
    const c = typeof slackUserId === 'string' ? deps.policy.contacts.find((x) => x.chat?.slack === slackUserId) : undefined;
    return c && { id: c.id, name: c.name };
  };
  const stranger = (userId: unknown) =>
    reply(
      `Sorry, I can't act for you: your Slack account (${esc(String(userId))}) is not a contact in the incident policy. Ask whoever runs the policy to add your member id as \`chat.slack\` of your contact. Nothing was changed.`,
    );

  /** Follow-up through response_url, only to Slack (or the configured stand-in). */
  const followUp = async (responseUrl: string | undefined, text: string) => {
    if (!responseUrl || !deps.responseOrigins.some((o) => responseUrl.startsWith(`${o}/`))) return;
    await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...reply(text), replace_original: false }),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => app.log.warn({ err: error }, 'Slack response_url follow-up failed'));
  };

  /** The answer, if the work is done within the limit; else "working on it" now and the answer through response_url. */
  const answer = async (work: Promise<string>, responseUrl?: string): Promise<object> => {
    const settled = work.then(
      (text) => text,
      (error: unknown) => failureText(error),
    );
    const text = await withinLimit(settled);
    if (text !== LATE) return reply(text);
    void settled.then((t) => followUp(responseUrl, t));
    return reply('Working on it…');
  };

  /** What `settled` gives within Slack's limit (less our margin), or LATE. */
  const withinLimit = async <T>(settled: Promise<T>): Promise<T | typeof LATE> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), answerWithinMs)));
    return Promise.race([settled, late]).finally(() => clearTimeout(timer));
  };

  const failureText = (error: unknown) => {
    if (error instanceof IncidentError) return `Not done: ${esc(error.message)}`;
    app.log.error(error);
    return 'Not done: the incident service is unavailable; try again in a moment.';
  };

  /** Which incident: the one named, else the one whose channel this is. */
  const incidentIn = async (named: string | undefined, channelId: string | undefined): Promise<string> => {
    if (named) return named;
    const number = channelId ? await deps.ledger.incidentOfChannel(channelId) : undefined;
    if (number === undefined) throw new IncidentError('name the incident (INC-42): this channel belongs to none', ErrorType.InvalidInput);
    return `INC-${number}`;
  };

  const act = async (who: VerifiedPerson, incidentId: string, action: Action, args: Record<string, unknown>, done: string) => {
    await actAs(
      { client: deps.client, identitySecret: deps.identitySecret, approvalKey: deps.approvalKey },
      who,
      'chat',
      incidentId,
      action,
      args,
    );
    return `${incidentId}: ${done} (as ${esc(who.name)}).`;
  };

  const statusText = (s: IncidentState) =>
    `*${s.incidentId}* ${s.severity} ${s.status}: ${esc(s.title)}\nphase ${s.phase} · commander ${esc(s.commander ?? 'unassigned')} · acknowledged ${
      s.acknowledgedBy ? `by ${esc(s.acknowledgedBy)}` : 'not yet'
    }${s.resolvedAt ? ` · resolved by ${esc(s.resolvedBy ?? '')}` : ''}`;

  /** Slack's signature, its age (five minutes) and its novelty; the raw body is what was signed. */
  const refused = async (request: FastifyRequest<{ Body: string }>, res: FastifyReply): Promise<boolean> => {
    const signature = request.headers['x-slack-signature'];
    const timestamp = request.headers['x-slack-request-timestamp'];
    const why = (text: string) => res.code(401).send({ error: `not a request from Slack: ${text}` });
    const problem = slackSignatureProblem(
      deps.signingSecret,
      request.body,
      typeof signature === 'string' ? signature : undefined,
      typeof timestamp === 'string' ? timestamp : undefined,
    );
    if (problem) {
      await why(problem);
      return true;
    }
    if (!(await deps.ledger.firstSight(signature as string))) {
      await why('this request was already received (a replay)');
      return true;
    }
    return false;
  };

  void app.register((scope, _opts, next) => {
    // The signature covers the body as sent: keep it raw, parse after checking.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    scope.post<{ Body: string }>('/slack/commands', async (request, res) => {
      if (await refused(request, res)) return;
      const form: Form = Object.fromEntries(new URLSearchParams(request.body));
      const who = person(form.user_id);
      const command = parseSlashCommand(form.text ?? '', (u) => person(u)?.id);
      if (command.kind === 'help') return reply(SLASH_HELP);
      if (command.kind === 'invalid') return reply(esc(command.message));
      // Internal titles and names are for the policy's people, not every member of the workspace.
      if (!who) return stranger(form.user_id);
      if (command.kind === 'status')
        return answer(
          incidentIn(command.incidentId, form.channel_id).then(async (id) =>
            statusText(await readState(await findIncident(deps.client, id))),
          ),
          form.response_url,
        );
      if (command.kind === 'declare') {
        const work = (async () => {
          const { incidentId: id } = await declareAs(deps, who, 'chat', command);
          return `${id} declared [${command.severity}] ${esc(command.title)} by ${esc(who.name)}; paging now.`;
        })();
        return answer(work, form.response_url);
      }
      return answer(
        incidentIn(command.incidentId, form.channel_id).then((id) => act(who, id, command.action, command.args, command.done)),
        form.response_url,
      );
    });

    // Interaction payloads carry the message pressed (its blocks): larger than the server's default small-body limit.
    scope.post<{ Body: string }>('/slack/interactions', { bodyLimit: 256 * 1024 }, async (request, res) => {
      if (await refused(request, res)) return;
      let payload: SlackInteraction;
      try {
        payload = JSON.parse(new URLSearchParams(request.body).get('payload') ?? '') as SlackInteraction;
      } catch {
        return res.code(400).send({ error: 'payload: expected Slack interaction JSON' });
      }
      const who = person(payload.user?.id);
      if (payload.type === 'block_actions') {
        const pressed = payload.actions?.[0];
        if (!pressed) return res.code(400).send({ error: 'no action in the payload' });
        if (!who) {
          void followUp(payload.response_url, stranger(payload.user?.id).text);
          return res.code(200).send();
        }
        const [incidentId = '', step = ''] = (pressed.value ?? '').split(' ');
        const channel = payload.channel?.id;
        const modal =
          pressed.action_id === SLACK_ACTIONS.resolve ? 'resolve' : pressed.action_id === SLACK_ACTIONS.note ? 'note' : undefined;
        if (modal) {
          // A trigger lives 3 seconds; if Slack refuses it, the person hears why and presses again.
          await deps.slack.views
            .open({ trigger_id: payload.trigger_id ?? '', view: modalView(modal, incidentId, channel) })
            .catch((error: unknown) => followUp(payload.response_url, `Could not open the form: ${esc((error as Error).message)}`));
          return res.code(200).send();
        }
        const byButton: Record<string, [Action, Record<string, unknown>, string]> = {
          [SLACK_ACTIONS.acknowledge]: ['acknowledge', { incidentId }, 'acknowledged'],
          [SLACK_ACTIONS.escalate]: ['escalate', { reason: 'escalated from Slack' }, 'escalated'],
          [SLACK_ACTIONS.approve]: ['approve', { step }, `step ${step} approved`],
          [SLACK_ACTIONS.reject]: ['reject', { step, reason: 'rejected from Slack' }, `step ${step} rejected`],
        };
        const chosen = byButton[pressed.action_id];
        if (!chosen) return res.code(400).send({ error: `unknown action ${pressed.action_id}` });
        // A button's answer is always late-capable: acknowledge Slack now, tell the person through response_url.
        void act(who, incidentId, ...chosen).then(
          (text) => followUp(payload.response_url, text),
          (error: unknown) => followUp(payload.response_url, failureText(error)),
        );
        return res.code(200).send();
      }
      if (payload.type === 'view_submission') {
        const callback = payload.view?.callback_id;
        const meta = JSON.parse(payload.view?.private_metadata || '{}') as { incidentId?: string; channel?: string };
        const values = payload.view?.state?.values ?? {};
        const field = (block: string) => values[block]?.[block]?.value?.trim() ?? '';
        if (!who)
          return {
            response_action: 'errors',
            errors: { [callback === SLACK_MODALS.note ? 'text' : 'rootCause']: stranger(payload.user?.id).text },
          };
        const work =
          callback === SLACK_MODALS.resolve
            ? act(who, meta.incidentId ?? '', 'resolve', { rootCause: field('rootCause'), resolution: field('resolution') }, 'resolved')
            : act(who, meta.incidentId ?? '', 'note', { text: field('text') }, 'note added');
        const block = callback === SLACK_MODALS.note ? 'text' : 'rootCause';
        const settled = work.then(
          () => undefined,
          (error: unknown) => failureText(error),
        );
        const outcome = await withinLimit(settled);
        if (outcome === undefined) return res.code(200).send();
        if (outcome !== LATE) return { response_action: 'errors', errors: { [block]: outcome } };
        // Closed now; if it then fails, the person hears of it in the channel they pressed from.
        void settled.then((failure) =>
          failure && meta.channel && payload.user?.id
            ? deps.slack.chat.postEphemeral({ channel: meta.channel, user: payload.user.id, text: failure }).catch(() => undefined)
            : undefined,
        );
        return res.code(200).send();
      }
      return res.code(200).send();
    });
    next();
  });
}

/** What we read of Slack's interaction payloads. */
interface SlackInteraction {
  type: string;
  user?: { id: string };
  trigger_id?: string;
  response_url?: string;
  channel?: { id: string };
  actions?: { action_id: string; value?: string }[];
  view?: { callback_id: string; private_metadata?: string; state?: { values: Record<string, Record<string, { value?: string | null }>> } };
}

const input = (block: string, label: string, multiline: boolean, optional = false) => ({
  type: 'input' as const,
  block_id: block,
  optional,
  label: { type: 'plain_text' as const, text: label },
  element: { type: 'plain_text_input' as const, action_id: block, multiline },
});

function modalView(kind: 'resolve' | 'note', incidentId: string, channel?: string) {
  const meta = JSON.stringify({ incidentId, channel });
  return kind === 'resolve'
    ? {
        type: 'modal' as const,
        callback_id: SLACK_MODALS.resolve,
        private_metadata: meta,
        title: { type: 'plain_text' as const, text: `Resolve ${incidentId}`.slice(0, 24) },
        submit: { type: 'plain_text' as const, text: 'Resolve' },
        blocks: [input('rootCause', 'Root cause', true), input('resolution', 'What fixed it', true)],
      }
    : {
        type: 'modal' as const,
        callback_id: SLACK_MODALS.note,
        private_metadata: meta,
        title: { type: 'plain_text' as const, text: `Note on ${incidentId}`.slice(0, 24) },
        submit: { type: 'plain_text' as const, text: 'Add note' },
        blocks: [input('text', 'Note', true)],
      };
}
