import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { PHASES } from '../../../contract';
import { globals, outputState, parseOptions } from '../context';

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
      const state = await act<IncidentState>(g, id, 'advance', { to });
      outputState(g, state, `${state.incidentId} is in phase ${state.phase}`);
    });
}
