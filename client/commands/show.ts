import type { Command } from 'commander';
import { globals, output, withIncident } from '../context';
import { formatState } from '../format';
import { readState } from '../temporal';

export function register(program: Command): void {
  program
    .command('show')
    .description('state and timeline of an incident')
    .argument('<id>', 'incident id, e.g. INC-42')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const state = await withIncident(g, id, readState);
      output(g, state, formatState(state));
    });
}
