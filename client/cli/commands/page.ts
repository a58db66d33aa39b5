import type { Command } from 'commander';
import { z } from 'zod';
import type { IncidentState } from '../../../contract';
import { act, globals, outputState, parseOptions } from '../context';

const pageSchema = z
  .object({
    team: z.string().trim().min(1, 'must not be empty').optional(),
    person: z.string().trim().min(1, 'must not be empty').optional(),
    reason: z.string().optional(),
  })
  .refine((o) => (o.team === undefined) !== (o.person === undefined), { path: ['team'], message: 'give --team or --person (one of them)' });

export function register(program: Command): void {
  program
    .command('page')
    .description("bring responders into an incident: another team's on-call (--team) or a person (--person)")
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--team <id>', 'a team of the policy: whoever its schedule has on call now is paged')
    .option('--person <contact-id>', 'a contact of the policy')
    .option('-r, --reason <text>', 'why they are needed')
    .action(async (id: string, raw: unknown, command: Command) => {
      const args = parseOptions(pageSchema, raw);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'page', args);
      const latest = state.responders?.[state.responders.length - 1];
      outputState(g, state, `${state.incidentId}: paging ${latest?.who ?? args.team ?? args.person}`);
    });
}
