import type { Command } from 'commander';
import { z } from 'zod';
import type { InboxMessage } from '../../../contract';
import { apiCall, apiSettings, globals, output, parseOptions, storeRequest } from '../context';
import { age, printable } from '../format';
import { inboxIncident } from '../../store-requests';

const schema = z.object({
  incident: inboxIncident.optional(),
  for: z.string().trim().min(1).optional(),
  all: z.boolean().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(20),
});

/** Newest first: when, how, to whom, the subject, the acknowledge link of a page, then the text as sent. */
function render(messages: InboxMessage[], nowMs: number): string {
  if (!messages.length) return 'No messages.';
  return messages
    .map((m) =>
      [
        `${m.incidentId}  ${age(m.at, nowMs)} ago  ${m.channel} to ${m.recipient} <${m.address}>  ${m.status === 'outbox' ? `kept in the outbox (${m.reason ?? 'not delivered'})` : 'sent'}`,
        `  ${printable(m.subject)}`,
        ...(m.ackUrl ? [`  acknowledge: ${m.ackUrl}`] : []),
        ...(m.body ? ['', ...m.body.split('\n').map((line) => `    ${printable(line)}`)] : []),
      ].join('\n'),
    )
    .join('\n\n');
}

export function register(program: Command): void {
  program
    .command('inbox')
    .description('pages and notifications sent or kept in the outbox, with their acknowledge links: yours with a token, else everyone’s')
    .argument('[incident]', 'only this incident, e.g. INC-42')
    .option('--for <contact-id>', "someone else's (an admin's token may)")
    .option('--all', "everyone's (an admin's token may)")
    .option('--limit <n>', 'at most this many, newest first', '20')
    .action(async (incident: string | undefined, raw: { for?: string; all?: boolean; limit: string }, command: Command) => {
      const options = parseOptions(schema, { ...raw, incident }, ['incident']);
      const g = globals(command);
      // With a token, the API answers as the token's person; over Temporal (a local operator), everyone's.
      const messages = apiSettings()
        ? await apiCall<InboxMessage[]>(
            'GET',
            `/api/v1/inbox?${new URLSearchParams({
              limit: String(options.limit),
              ...(options.incident ? { incident: options.incident } : {}),
              ...(options.for ? { for: options.for } : {}),
              ...(options.all ? { all: 'true' } : {}),
            }).toString()}`,
          )
        : await storeRequest<InboxMessage[]>(g, 'inboxWorkflow', {
            recipient: options.for,
            incidentId: options.incident,
            limit: options.limit,
          });
      output(g, messages, render(messages, Date.now()));
    });
}
