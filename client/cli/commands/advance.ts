import type { Command } from 'commander';
import { z } from 'zod';
import { PHASES, advancePhaseUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

const schema = z.object({ to: z.enum(PHASES, { message: `must be one of ${PHASES.join(', ')}` }).optional() });

export function register(program: Command): void {
  program
    .command('advance')
    .description(`move to the next phase (${PHASES.join(' → ')})`)
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--to <phase>', 'jump forward to this phase; skipped phases are recorded')
    .action(async (id: string, raw: unknown, command: Command) => {
      const { to } = parseOptions(schema, raw);
      const g = globals(command);
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, advancePhaseUpdate, { by, to }));
      outputState(g, state, `${state.incidentId} is in phase ${state.phase}`);
    });
}
