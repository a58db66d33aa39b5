/**
 * The authenticated API that `incidentctl` uses when INCIDENT_API_URL and INCIDENT_TOKEN are set:
 * the person is the token's, never a field of the request. Each action goes to its workflow with a
 * proof signed for that action, workflow and arguments, which a worker checks before anything changes.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACTIONS, CONTROL_CHARACTERS, ErrorType, type Action } from '../../contract';
import { newToken, tokenHash, type TokenStore } from '../../activities/identity';
import type { ResponsePolicy } from '../../policy/schema';
import { actAs } from './act-as';
import { IncidentError, FAILURES } from '../failures';
import { findIncident, readState } from '../temporal';

export interface ApiDeps {
  client: Client;
  policy: ResponsePolicy;
  /** Absent without a database: the API is then off. */
  tokens?: TokenStore;
  /** Absent: the API is off (a worker could not check what it signs). */
  identitySecret?: string;
}

type Person = { id: string; name: string; tokenId: string };

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof IncidentError) return reply.code(error.httpStatus).send({ error: error.message, kind: error.kind });
    app.log.error(error);
    return reply.code(FAILURES.Unavailable.httpStatus).send({ error: (error as Error).message, kind: 'Unavailable' });
  };

  /** The token's person, or an answer already sent (401, or 404 when the API is off). */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<Person | undefined> => {
    if (!deps.tokens || !deps.identitySecret) {
      await reply
        .code(404)
        .send({ error: 'the API is off: the HTTP server needs DATABASE_URL and IDENTITY_SECRET', kind: ErrorType.NotFound });
      return undefined;
    }
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const found = token ? await deps.tokens.authenticate(token) : undefined;
    const contact = found && deps.policy.contacts.find((c) => c.id === found.person);
    if (!found || !contact) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'missing, unknown or revoked API token', kind: ErrorType.Unauthenticated });
      return undefined;
    }
    return { id: contact.id, name: contact.name, tokenId: found.id };
  };

  void app.register((scope, _opts, next) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (error) {
        done(Object.assign(new Error(`malformed JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
    scope.addHook('onSend', (_request, reply, payload, done) => {
      void reply.header('cache-control', 'no-store');
      done(null, payload);
    });

    scope.get('/api/v1/me', async (request, reply) => {
      const person = await authenticate(request, reply);
      return person && { person: person.id, name: person.name, token: person.tokenId };
    });

    scope.get<{ Params: { id: string } }>('/api/v1/incidents/:id', async (request, reply) => {
      if (!(await authenticate(request, reply))) return;
      try {
        return await readState(await findIncident(deps.client, request.params.id));
      } catch (error) {
        return fail(reply, error);
      }
    });

    scope.post<{ Params: { id: string; action: string }; Body: unknown }>('/api/v1/incidents/:id/:action', async (request, reply) => {
      const person = await authenticate(request, reply);
      if (!person) return;
      const action = request.params.action as Action;
      if (!(ACTIONS as readonly string[]).includes(action))
        return fail(reply, new IncidentError(`no action "${request.params.action}"; actions: ${ACTIONS.join(', ')}`, ErrorType.NotFound));
      const body = request.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return fail(reply, new IncidentError('the body must be a JSON object of the action’s arguments', ErrorType.InvalidInput));
      const { by: _by, proof: _proof, ...rest } = body as Record<string, unknown>;
      try {
        return await actAs({ client: deps.client, identitySecret: deps.identitySecret! }, person, 'token', request.params.id, action, rest);
      } catch (error) {
        return fail(reply, error);
      }
    });

    // Tokens of the person holding this one: list, create another (shown once), revoke.
    scope.get('/api/v1/tokens', async (request, reply) => {
      const person = await authenticate(request, reply);
      return person && deps.tokens!.list(person.id);
    });
    scope.post<{ Body: { label?: unknown } }>('/api/v1/tokens', async (request, reply) => {
      const person = await authenticate(request, reply);
      if (!person) return;
      const label = request.body?.label ?? 'api';
      if (typeof label !== 'string' || label.length === 0 || label.length > 100 || CONTROL_CHARACTERS.test(label))
        return fail(reply, new IncidentError('label: one line of at most 100 characters', ErrorType.InvalidInput));
      const token = newToken();
      const record = await deps.tokens!.create({
        id: `tok_${randomUUID().slice(0, 8)}`,
        person: person.id,
        label,
        hash: tokenHash(token),
        createdBy: `${person.id} (token ${person.tokenId})`,
      });
      return { ...record, token };
    });
    scope.delete<{ Params: { tokenId: string } }>('/api/v1/tokens/:tokenId', async (request, reply) => {
      const person = await authenticate(request, reply);
      if (!person) return;
      const revoked = await deps.tokens!.revoke(request.params.tokenId, person.id);
      if (!revoked) return fail(reply, new IncidentError(`no token ${request.params.tokenId} of ${person.id}`, ErrorType.NotFound));
      return revoked;
    });
    next();
  });
}
