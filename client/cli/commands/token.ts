import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ApiTokenRecord } from '../../../contract';
import { CONTROL_CHARACTERS, ErrorType } from '../../../contract';
import { publicUrl } from '../../../config/env';
import { IncidentError } from '../../failures';
import { apiCall, apiCallTo, apiSettings, cliConfig, cliIo, globals, output, parseOptions } from '../context';

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

/** Tokens are managed through the API only: reaching Temporal gives no way to a token. */
function requireApi(): void {
  if (!apiSettings())
    throw new IncidentError(
      'tokens are managed through the HTTP API: set INCIDENT_API_URL and INCIDENT_TOKEN (the first admin: incidentctl token bootstrap)',
      ErrorType.InvalidInput,
    );
}

type Created = ApiTokenRecord & { token: string };
const shownOnce = (created: Created) => `${created.id} for ${created.person}: ${created.token}\nShown once: keep it as INCIDENT_TOKEN.`;

/**
 * Personal API tokens, through the HTTP API as the token's person: your own, or anyone's when the
 * policy names you admin (identity.admins). The first admin's comes from `token bootstrap`, with the
 * one-time code the HTTP server wrote on its own machine.
 */
/** The new token: shown once, or only the token with --quiet (for `export INCIDENT_TOKEN=$(…)`). */
function show(command: Command, created: Created): void {
  const quiet = command.opts<{ quiet?: boolean }>().quiet;
  if (quiet && !globals(command).json) cliIo().stdout(`${created.token}\n`);
  else output(globals(command), created, shownOnce(created));
}

export function register(program: Command): void {
  const token = program.command('token').description('personal API tokens: who you are when acting through the API');

  token
    .command('create')
    .description('create a token (shown once; keep it as INCIDENT_TOKEN)')
    .option('--for <contact-id>', 'the contact the token acts as (admins only; yourself by default)')
    .option('--label <text>', 'what the token is for, e.g. laptop', 'cli')
    .option('-q, --quiet', 'print only the token')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(z.object({ for: z.string().trim().min(1).optional(), label }), raw);
      requireApi();
      const created = await apiCall<Created>('POST', '/api/v1/tokens', {
        label: options.label,
        ...(options.for ? { for: options.for } : {}),
      });
      show(command, created);
    });

  token
    .command('bootstrap')
    .description("the first admin's token, from the one-time code the HTTP server wrote on its machine")
    .requiredOption('--for <contact-id>', 'an admin of the policy (identity.admins)')
    .option('--code-file <file>', 'the file the HTTP server named at start (DATA_DIR/admin-bootstrap-code)')
    .option('--code <code>', 'the code itself')
    .option('--label <text>', 'what the token is for', 'bootstrap')
    .option('-q, --quiet', 'print only the token (export INCIDENT_TOKEN=$(incidentctl token bootstrap … -q))')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(
        z.object({ for: z.string().trim().min(1), codeFile: z.string().min(1).optional(), code: z.string().min(1).optional(), label }),
        raw,
      );
      let code = options.code;
      if (!code && options.codeFile) {
        try {
          code = readFileSync(options.codeFile, 'utf8').trim();
        } catch (error) {
          throw new IncidentError(
            `--code-file: cannot read ${options.codeFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
            ErrorType.InvalidInput,
          );
        }
      }
      if (!code) throw new IncidentError('--code-file or --code: the one-time code the HTTP server wrote at start', ErrorType.InvalidInput);
      const config = cliConfig();
      const url = (config.INCIDENT_API_URL ?? publicUrl(config)).replace(/\/$/, '');
      const created = await apiCallTo<Created>(url, undefined, 'POST', '/api/v1/bootstrap', {
        code,
        for: options.for,
        label: options.label,
      });
      show(command, created);
    });

  token
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--for <contact-id>', "another contact's tokens (admins only)")
    .option('--all', "everyone's tokens (admins only)")
    .action(async (raw: { for?: string; all?: boolean }, command: Command) => {
      requireApi();
      const query = raw.all ? '?all=true' : raw.for ? `?for=${encodeURIComponent(raw.for)}` : '';
      const tokens = await apiCall<ApiTokenRecord[]>('GET', `/api/v1/tokens${query}`);
      output(globals(command), tokens, table(tokens));
    });

  token
    .command('revoke')
    .description("revoke a token: it is refused from then on (your own; anyone's for admins)")
    .argument('<token-id>', 'e.g. tok_1a2b3c4d')
    .action(async (id: string, _raw: unknown, command: Command) => {
      requireApi();
      const revoked = await apiCall<ApiTokenRecord>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      output(globals(command), revoked, `${revoked.id} (${revoked.person}, ${revoked.label}) revoked at ${revoked.revokedAt}`);
    });
}
