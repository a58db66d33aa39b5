import type { Command } from 'commander';
import { acknowledgeUpdate } from '../../../contract';
import { actor, globals, outputState, withIncident } from '../context';
import { runUpdate } from '../../temporal';

export function register(program: Command): void {
  program
    .command('ack')
    .description('acknowledge an incident: stops automatic escalation at once')
    .argument('<id>', 'incident id, e.g. INC-42')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, acknowledgeUpdate, { by }));
      outputState(g, state, `${state.incidentId} acknowledged by ${by}`);
    });
}
