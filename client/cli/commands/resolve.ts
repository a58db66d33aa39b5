import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, outputState, parseOptions } from '../context';

const schema = z.object({
  rootCause: z.string().trim().min(1, 'must not be empty').max(4000),
  resolution: z.string().trim().min(1, 'must not be empty').max(4000),
});

export function register(program: Command): void {
  program
    .command('resolve')
    .description('resolve the incident with its root cause and resolution; the review phase follows')
    .argument('<id>', 'incident id, e.g. INC-42')
    .requiredOption('--root-cause <text>', 'why it happened')
    .requiredOption('--resolution <text>', 'what fixed it')
    .action(async (id: string, raw: unknown, command: Command) => {
      const options = parseOptions(schema, raw);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'resolve', options);
      outputState(g, state, `${state.incidentId} resolved by ${state.resolvedBy} (${state.resolvedVia ?? 'unverified'})`);
    });
}
