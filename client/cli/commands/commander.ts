import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, outputState, parseOptions } from '../context';

const schema = z.object({ commander: z.string().trim().min(1, 'must not be empty').max(100) });

export function register(program: Command): void {
  program
    .command('commander')
    .description('assign the incident commander')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<name>', 'who leads the response (a contact id from the policy gets notifications)')
    .action(async (id: string, name: string, _raw: unknown, command: Command) => {
      const { commander } = parseOptions(schema, { commander: name }, ['commander']);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'commander', { commander });
      outputState(g, state, `${state.commander} now commands ${state.incidentId}`);
    });
}
