import type { Command } from 'commander';
import { z } from 'zod';
import { resolveUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

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
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, resolveUpdate, { by, ...options }));
      outputState(g, state, `${state.incidentId} resolved`);
    });
}
