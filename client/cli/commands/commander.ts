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
    .argument('<name>', 'a contact id from the policy, who leads the response')
    .option('--force', 'name someone who is not a contact (they get no notifications)')
    .action(async (id: string, name: string, raw: { force?: boolean }, command: Command) => {
      const { commander } = parseOptions(schema, { commander: name }, ['commander']);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'commander', { commander, ...(raw.force ? { force: true } : {}) });
      outputState(g, state, `${state.commander} now commands ${state.incidentId}`);
    });
}
