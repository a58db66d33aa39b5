/**
 * The authenticated API that `incidentctl` uses when INCIDENT_API_URL and INCIDENT_TOKEN are set:
 * the person is the token's, never a field of the request. Each action goes to its workflow with a
 * proof signed for that action, workflow and arguments, which a worker checks before anything changes.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ACTIONS,
  CONTROL_CHARACTERS,
  ErrorType,
  SWAP_WORKFLOW_TYPE,
  heartbeatStopSignal,
  heartbeatWorkflowId,
  type Action,
  type ProvenAct,
} from '../contract';
import type { InboxStore } from '../store/inbox-store';
import { newToken, signProof, tokenHash, type TokenStore } from '../security/identity';
import type { ResponsePolicy } from '../policy/schema';
import { z } from 'zod';
import { actAs, declareAs } from './act-as';
import { declareRequest } from '../client/declare';
import { reviewIncidentId, submitPostMortem } from '../client/postmortem';
import { actionItemRequest, inboxIncident, overrideRequest } from '../client/store-requests';
import { maintenanceRequest, startMaintenance } from '../client/maintenance';
import { swapAsk, swapRequestOf } from '../client/swaps';
import { feedName } from './calendar';
import { noSuchSchedule, noSuchTeam } from '../policy/teams';
import { RateLimit } from './rate-limit';
import { adminIds, isAdmin } from '../policy/admins';
import type { IntegrationStore } from '../store/integration-store';
import { integrationRequest } from '../client/integrations';
import { IncidentError, FAILURES } from '../client/failures';
import { findIncident, readState, runStoreWorkflow } from '../client/temporal';

export interface ApiDeps {
  client: Client;
  policy: ResponsePolicy;
  /** Absent without a database: the API is then off. */
  tokens?: TokenStore;
  /** What was sent or kept, for `incidentctl inbox` (from the same store). */
  inbox?: InboxStore;
  /** Integrations and their keys (`incidentctl integration`), admins only. */
  integrations?: IntegrationStore;
  /** Absent: the API is off (a worker could not check what it signs). */
  identitySecret?: string;
  /** Signs approvals for runbook hosts (APPROVAL_SIGNING_KEY); without it hosts refuse gated steps. */
  approvalKey?: KeyObject;
  /** Where incidents are declared and store requests run. */
  taskQueue: string;
  /** The server's address as people reach it (feeds' URLs); else the request's host. */
  publicUrl?: string;
}

type Person = { id: string; name: string; tokenId: string };

/** Failed API tokens a client address may send per minute. */
export const GUESSES_PER_MINUTE = 20;

const labelOf = (label: unknown = 'api') =>
  typeof label === 'string' && label.length > 0 && label.length <= 100 && !CONTROL_CHARACTERS.test(label) ? label : undefined;

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  /** A new token (shown once; the store keeps its hash). */
  const issue = async (person: string, label: string, createdBy: string) => {
    const token = newToken();
    const record = await deps.tokens!.create({ id: `tok_${randomUUID().slice(0, 8)}`, person, label, hash: tokenHash(token), createdBy });
    return { ...record, token };
  };
  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof IncidentError) return reply.code(error.httpStatus).send({ error: error.message, kind: error.kind });
    app.log.error(error);
    return reply.code(FAILURES.Unavailable.httpStatus).send({ error: (error as Error).message, kind: 'Unavailable' });
  };

  /** The API needs the store and the identity secret: without them, 404 (sent here); true when it is on. */
  const apiOn = async (reply: FastifyReply): Promise<boolean> => {
    if (deps.tokens && deps.identitySecret) return true;
    await reply
      .code(404)
      .send({ error: 'the API is off: the HTTP server needs DATABASE_URL and IDENTITY_SECRET', kind: ErrorType.NotFound });
    return false;
  };
  /**
   * Guessing is slow: past GUESSES_PER_MINUTE failed tokens or bootstrap codes, a client address is
   * answered 429 (sent here) before any lookup; true when it may try.
   */
  const mayGuess = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!guesses.exhausted(request.ip)) return true;
    await reply
      .code(429)
      .header('retry-after', String(guesses.retryAfter(request.ip)))
      .header('connection', 'close')
      .send({ error: 'too many failed credentials from this address; try again later', kind: ErrorType.Unauthenticated });
    return false;
  };

  /** The token's person, or an answer already sent (401, 429, or 404 when the API is off). */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<Person | undefined> => {
    if (!(await apiOn(reply)) || !(await mayGuess(request, reply))) return undefined;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const found = token ? await deps.tokens!.authenticate(token) : undefined;
    const contact = found && deps.policy.contacts.find((c) => c.id === found.person);
    if (!found || !contact) {
      guesses.take(request.ip);
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .header('connection', 'close')
        .send({ error: 'missing, unknown or revoked API token', kind: ErrorType.Unauthenticated });
      return undefined;
    }
    return { id: contact.id, name: contact.name, tokenId: found.id };
  };
  const guesses = new RateLimit(GUESSES_PER_MINUTE, 60_000);
  /** The person authenticated in onRequest, before any body was read. */
  const people = new WeakMap<FastifyRequest, Person>();
  const who = (request: FastifyRequest) => people.get(request)!;

  void app.register((scope, _opts, next) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (error) {
        done(Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
    // Credentials before a byte of the body is read: a stranger's guess costs no parsing.
    scope.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url === '/api/v1/bootstrap') return;
      const person = await authenticate(request, reply);
      if (person) people.set(request, person);
    });
    scope.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('cache-control', 'no-store');
      done(null, payload);
    });

    scope.get('/api/v1/me', (request) => {
      const person = who(request);
      return { person: person.id, name: person.name, token: person.tokenId, admin: isAdmin(deps.policy, person.id) };
    });

    scope.get<{ Params: { id: string } }>('/api/v1/incidents/:id', async (request, reply) => {
      try {
        return await readState(await findIncident(deps.client, request.params.id));
      } catch (error) {
        return fail(reply, error);
      }
    });

    scope.post<{ Params: { id: string; action: string }; Body: unknown }>('/api/v1/incidents/:id/:action', async (request, reply) => {
      const person = who(request);
      const action = request.params.action as Action;
      if (!(ACTIONS as readonly string[]).includes(action))
        return fail(reply, new IncidentError(`no action "${request.params.action}"; actions: ${ACTIONS.join(', ')}`, ErrorType.NotFound));
      const body = request.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return fail(reply, new IncidentError('the body must be a JSON object of the action’s arguments', ErrorType.InvalidInput));
      const { by: _by, proof: _proof, ...rest } = body as Record<string, unknown>;
      try {
        return await actAs(
          { client: deps.client, identitySecret: deps.identitySecret!, approvalKey: deps.approvalKey },
          person,
          'token',
          request.params.id,
          action,
          rest,
        );
      } catch (error) {
        return fail(reply, error);
      }
    });

    const forbidden = (person: Person, what: string) =>
      new IncidentError(`${person.id} is not an admin (policy identity.admins): ${what} needs one`, ErrorType.Forbidden);
    const proofOf = (person: Person, action: ProvenAct, workflowId: string, incidentId: string, args: object) =>
      signProof(deps.identitySecret!, { person: person.id, via: 'token', action, workflowId, incidentId, args });
    /** The body checked by `schema`; a 400 naming the field otherwise. */
    const parsed = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
      const result = schema.safeParse(body ?? {});
      if (result.success) return result.data;
      const issue = result.error.issues[0]!;
      throw new IncidentError(`${issue.path.join('.') || 'body'}: ${issue.message}`, ErrorType.InvalidInput);
    };

    scope.post<{ Body: unknown }>('/api/v1/incidents', async (request, reply) => {
      try {
        const asked = parsed(declareRequest, request.body);
        if (asked.team && !deps.policy.teams.some((t) => t.id === asked.team))
          throw new IncidentError(`team: ${noSuchTeam(deps.policy, asked.team)}`, ErrorType.InvalidInput);
        return await declareAs({ ...deps, identitySecret: deps.identitySecret! }, who(request), 'token', asked);
      } catch (error) {
        return fail(reply, error);
      }
    });

    scope.post<{ Params: { id: string }; Body: unknown }>('/api/v1/incidents/:id/postmortem', async (request, reply) => {
      const person = who(request);
      try {
        const { markdown } = parsed(z.object({ markdown: z.string() }), request.body);
        const incidentId = reviewIncidentId(request.params.id);
        return await submitPostMortem(deps.client, incidentId, { by: person.name, markdown }, (target) =>
          proofOf(person, 'submit-postmortem', target.workflowId, target.incidentId, { markdown }),
        );
      } catch (error) {
        return fail(reply, error);
      }
    });

    /** A store request as the token's person: the store workflow has a worker check the proof. */
    const storeAs = async (person: Person, workflowType: string, act: ProvenAct, args: Record<string, unknown>) => {
      const workflowId = `${workflowType}-${randomUUID()}`;
      const proof = proofOf(person, act, workflowId, '', args);
      return runStoreWorkflow(deps.client, workflowType, { ...args, by: person.name, proof }, deps.taskQueue, workflowId);
    };
    scope.post<{ Body: unknown }>('/api/v1/action-items', async (request, reply) => {
      try {
        return await storeAs(who(request), 'actionItemWorkflow', 'action-item', parsed(actionItemRequest, request.body));
      } catch (error) {
        return fail(reply, error);
      }
    });
    scope.post<{ Body: unknown }>('/api/v1/overrides', async (request, reply) => {
      try {
        return await storeAs(who(request), 'onCallOverrideWorkflow', 'override', parsed(overrideRequest, request.body));
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Secret calendar feeds: a person's own, or any schedule's (server/calendar.ts).
    scope.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/calendar', async (request, reply) => {
      const person = who(request);
      try {
        const query = parsed(z.object({ schedule: z.string().min(1).optional() }), request.query);
        if (query.schedule && !deps.policy.schedules.some((s) => s.id === query.schedule))
          throw new IncidentError(noSuchSchedule(deps.policy, query.schedule), ErrorType.NotFound);
        const [kind, id] = query.schedule ? (['schedule', query.schedule] as const) : (['person', person.id] as const);
        const base = (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
        return { kind, id, url: `${base}/calendar/${feedName(deps.identitySecret!, kind, id)}` };
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Shift swaps: asked by the person whose shift it is, answered by the one asked.
    scope.post<{ Body: unknown }>('/api/v1/swaps', async (request, reply) => {
      try {
        return await storeAs(who(request), SWAP_WORKFLOW_TYPE, 'swap', swapRequestOf(parsed(swapAsk, request.body)));
      } catch (error) {
        return fail(reply, error);
      }
    });
    scope.post<{ Params: { id: string; op: string } }>('/api/v1/swaps/:id/:op', async (request, reply) => {
      try {
        const { id, op } = parsed(
          z.object({
            id: z
              .string()
              .regex(/^S-\d+$/i, 'expected a swap id such as S-3')
              .transform((v) => v.toUpperCase()),
            op: z.enum(['accept', 'decline', 'cancel'], { message: 'expected accept, decline or cancel' }),
          }),
          request.params,
        );
        return await storeAs(who(request), SWAP_WORKFLOW_TYPE, 'swap', { op, id });
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Maintenance windows: alerts of the service during one page nobody.
    scope.post<{ Body: unknown }>('/api/v1/maintenance', async (request, reply) => {
      const person = who(request);
      try {
        const asked = parsed(maintenanceRequest, request.body);
        return await startMaintenance(deps.client, deps.taskQueue, { ...asked, by: person.name }, (workflowId) =>
          proofOf(person, 'maintenance', workflowId, '', asked),
        );
      } catch (error) {
        return fail(reply, error);
      }
    });
    scope.post<{ Params: { id: string } }>('/api/v1/maintenance/:id/end', async (request, reply) => {
      try {
        return await storeAs(who(request), 'maintenanceEndWorkflow', 'maintenance', { id: request.params.id });
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Messages sent or kept: a person reads their own; everyone's (or another person's) only an admin.
    scope.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/inbox', async (request, reply) => {
      const person = who(request);
      try {
        const query = parsed(
          z.object({
            for: z.string().min(1).optional(),
            all: z.enum(['true', 'false']).optional(),
            incident: inboxIncident.optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          request.query,
        );
        const whose = query.all === 'true' ? undefined : (query.for ?? person.id);
        if (whose !== person.id && !isAdmin(deps.policy, person.id)) throw forbidden(person, "reading other people's messages");
        if (!deps.inbox) throw new IncidentError('the inbox needs the store (DATABASE_URL)', ErrorType.NotFound);
        return await deps.inbox.messages({ recipient: whose, incidentId: query.incident, limit: query.limit });
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Tokens: a person manages their own; other people's only an admin (the policy's identity.admins).
    scope.get<{ Querystring: { for?: string; all?: string } }>('/api/v1/tokens', async (request, reply) => {
      const person = who(request);
      const whose = request.query.all === 'true' ? undefined : (request.query.for ?? person.id);
      if (whose !== person.id && !isAdmin(deps.policy, person.id)) return fail(reply, forbidden(person, "listing other people's tokens"));
      return deps.tokens!.list(whose);
    });
    scope.post<{ Body: { label?: unknown; for?: unknown } }>('/api/v1/tokens', async (request, reply) => {
      const person = who(request);
      const label = labelOf(request.body?.label);
      if (!label) return fail(reply, new IncidentError('label: one line of at most 100 characters', ErrorType.InvalidInput));
      const whose = request.body?.for ?? person.id;
      if (typeof whose !== 'string' || !deps.policy.contacts.some((c) => c.id === whose))
        return fail(reply, new IncidentError(`for: ${JSON.stringify(whose)} is not a contact in the policy`, ErrorType.InvalidInput));
      if (whose !== person.id && !isAdmin(deps.policy, person.id)) return fail(reply, forbidden(person, 'a token for someone else'));
      return issue(whose, label, `${person.id} (token ${person.tokenId})`);
    });
    scope.delete<{ Params: { tokenId: string } }>('/api/v1/tokens/:tokenId', async (request, reply) => {
      const person = who(request);
      const admin = isAdmin(deps.policy, person.id);
      const revoked = await deps.tokens!.revoke(request.params.tokenId, admin ? undefined : person.id);
      if (!revoked)
        return fail(reply, new IncidentError(`no token ${request.params.tokenId}${admin ? '' : ` of ${person.id}`}`, ErrorType.NotFound));
      return revoked;
    });

    // Integrations (monitors with a key of their own): admins only; the key is shown once, to whoever made it.
    const integrationsOf = (person: Person) => {
      if (!isAdmin(deps.policy, person.id)) throw forbidden(person, 'managing integrations');
      if (!deps.integrations) throw new IncidentError('integrations need the store (DATABASE_URL)', ErrorType.NotFound);
      return deps.integrations;
    };
    scope.get('/api/v1/integrations', async (request, reply) => {
      try {
        return await integrationsOf(who(request)).list();
      } catch (error) {
        return fail(reply, error);
      }
    });
    scope.post<{ Body: unknown }>('/api/v1/integrations', async (request, reply) => {
      const person = who(request);
      try {
        const store = integrationsOf(person);
        const asked = parsed(integrationRequest, request.body);
        const services = deps.policy.services.map((s) => s.id);
        if (services.length && !services.includes(asked.service))
          throw new IncidentError(`service: no service "${asked.service}"; services: ${services.join(', ')}`, ErrorType.InvalidInput);
        const mappings = deps.policy.webhookMappings.map((m) => m.id);
        if (asked.mapping !== undefined && !mappings.includes(asked.mapping))
          throw new IncidentError(
            `mapping: no webhook mapping "${asked.mapping}"; mappings: ${mappings.join(', ') || 'none (policy webhookMappings)'}`,
            ErrorType.InvalidInput,
          );
        const created = await store.create({ ...asked, createdBy: `${person.id} (token ${person.tokenId})` });
        const base = (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
        const path = {
          'events-v2': '/v2/enqueue',
          heartbeat: `/heartbeat/${created.key}`,
          grafana: `/integrations/${created.key}`,
          webhook: `/integrations/${created.key}`,
        };
        return { ...created, url: `${base}${path[created.kind]}` };
      } catch (error) {
        return fail(reply, error);
      }
    });
    scope.delete<{ Params: { id: string } }>('/api/v1/integrations/:id', async (request, reply) => {
      try {
        const person = who(request);
        const revoked = await integrationsOf(person).revoke(request.params.id);
        if (!revoked) throw new IncidentError(`no integration ${request.params.id}; see incidentctl integration list`, ErrorType.NotFound);
        // A heartbeat stops watching: its silence is nobody's incident any more.
        if (revoked.kind === 'heartbeat')
          await deps.client.workflow
            .getHandle(heartbeatWorkflowId(revoked.id))
            .signal(heartbeatStopSignal, { by: person.name })
            .catch((error: unknown) => {
              if (!(error instanceof WorkflowNotFoundError)) throw error;
            });
        return revoked;
      } catch (error) {
        return fail(reply, error);
      }
    });

    // The first admin: the one-time code the server wrote on its own machine, for a person the policy names admin.
    scope.post<{ Body: { code?: unknown; for?: unknown; label?: unknown } }>('/api/v1/bootstrap', async (request, reply) => {
      if (!(await apiOn(reply))) return;
      const { code, for: whose } = request.body ?? {};
      const label = labelOf(request.body?.label ?? 'bootstrap');
      if (typeof whose !== 'string' || !isAdmin(deps.policy, whose))
        return fail(
          reply,
          new IncidentError(
            `for: the first token is for an admin (policy identity.admins: ${adminIds(deps.policy).join(', ') || 'nobody'})`,
            ErrorType.InvalidInput,
          ),
        );
      if (!label) return fail(reply, new IncidentError('label: one line of at most 100 characters', ErrorType.InvalidInput));
      if (!(await mayGuess(request, reply))) return;
      if (typeof code !== 'string' || !(await deps.tokens!.redeemBootstrap(tokenHash(code)))) {
        guesses.take(request.ip);
        return fail(reply, new IncidentError('no such bootstrap code (used, expired, or never offered)', ErrorType.Unauthenticated));
      }
      return issue(whose, label, 'bootstrap code');
    });
    next();
  });
}
