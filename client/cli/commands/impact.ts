import type { Command } from 'commander';
import { z } from 'zod';
import { setImpactUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

const impactSchema = z.object({ usersPct: z.coerce.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100') });

export function register(program: Command): void {
  program
    .command('impact')
    .description('record the share of users affected; P0/P1 above the policy threshold (10%) email customers')
    .argument('<id>', 'incident id, e.g. INC-42')
    .requiredOption('--users-pct <n>', 'percentage of users affected')
    .action(async (id: string, raw: { usersPct: string }, command: Command) => {
      const { usersPct } = parseOptions(impactSchema, raw);
      const g = globals(command);
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, setImpactUpdate, { by, usersPct }));
      outputState(g, state, `${state.incidentId}: ${usersPct}% of users affected`);
    });
}
