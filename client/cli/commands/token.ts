import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ApiTokenRecord } from '../../../contract';
import { CONTROL_CHARACTERS, ErrorType } from '../../../contract';
import { newToken, tokenHash } from '../../../activities/identity';
import { IncidentError } from '../../failures';
import { actor, apiCall, apiSettings, globals, output, parseOptions, storeRequest } from '../context';

const label = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .refine((v) => !CONTROL_CHARACTERS.test(v), 'one line without control characters');

const table = (tokens: ApiTokenRecord[]) =>
  tokens.length === 0
    ? 'No tokens.'
    : ['ID            PERSON        LABEL                 CREATED               LAST USED             REVOKED']
        .concat(
          tokens.map((t) =>
            [
              t.id.padEnd(13),
              t.person.padEnd(13),
              t.label.slice(0, 20).padEnd(21),
              t.createdAt.slice(0, 19).padEnd(21),
              (t.lastUsedAt?.slice(0, 19) ?? '-').padEnd(21),
              t.revokedAt?.slice(0, 19) ?? '-',
            ].join(' '),
          ),
        )
        .join('\n');

/**
 * Personal API tokens. With INCIDENT_API_URL and INCIDENT_TOKEN set, a person manages their own;
 * without, an operator with Temporal access manages anyone's. The token is made here and shown once:
 * only its SHA-256 leaves this process.
 */
export function register(program: Command): void {
  const token = program.command('token').description('personal API tokens: who you are when acting through the API');

  token
    .command('create')
    .description('create a token (shown once; keep it as INCIDENT_TOKEN)')
    .option('--for <contact-id>', 'the contact the token acts as (operators only; with a token, yourself)')
    .option('--label <text>', 'what the token is for, e.g. laptop', 'cli')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(z.object({ for: z.string().trim().min(1).optional(), label }), raw);
      const g = globals(command);
      if (apiSettings()) {
        const me = await apiCall<{ person: string }>('GET', '/api/v1/me');
        if (options.for && options.for !== me.person)
          throw new IncidentError(
            `a token acts for its own person (${me.person}); an operator creates tokens for others`,
            ErrorType.InvalidInput,
          );
        const created = await apiCall<ApiTokenRecord & { token: string }>('POST', '/api/v1/tokens', { label: options.label });
        output(g, created, `${created.id} for ${created.person}: ${created.token}\nShown once: keep it as INCIDENT_TOKEN.`);
        return;
      }
      if (!options.for) throw new IncidentError('--for: whose token (a contact id from the policy)', ErrorType.InvalidInput);
      const secret = newToken();
      const [created] = await storeRequest<ApiTokenRecord[]>(g, 'apiTokenWorkflow', {
        op: 'create',
        id: `tok_${randomUUID().slice(0, 8)}`,
        person: options.for,
        label: options.label,
        hash: tokenHash(secret),
        by: `${actor(g)} (unverified)`,
      });
      output(g, { ...created, token: secret }, `${created!.id} for ${created!.person}: ${secret}\nShown once: keep it as INCIDENT_TOKEN.`);
    });

  token
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--for <contact-id>', 'only this contact’s tokens')
    .action(async (raw: { for?: string }, command: Command) => {
      const g = globals(command);
      const tokens = apiSettings()
        ? await apiCall<ApiTokenRecord[]>('GET', '/api/v1/tokens')
        : await storeRequest<ApiTokenRecord[]>(g, 'apiTokenWorkflow', { op: 'list', person: raw.for });
      output(g, tokens, table(tokens));
    });

  token
    .command('revoke')
    .description('revoke a token: it is refused from then on')
    .argument('<token-id>', 'e.g. tok_1a2b3c4d')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const revoked = apiSettings()
        ? await apiCall<ApiTokenRecord>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`)
        : (await storeRequest<ApiTokenRecord[]>(g, 'apiTokenWorkflow', { op: 'revoke', id }))[0]!;
      output(g, revoked, `${revoked.id} (${revoked.person}, ${revoked.label}) revoked at ${revoked.revokedAt}`);
    });
}
