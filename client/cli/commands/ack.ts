import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { globals, outputState } from '../context';

export function register(program: Command): void {
  program
    .command('ack')
    .description('acknowledge an incident: stops automatic escalation at once')
    .argument('<id>', 'incident id, e.g. INC-42')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'acknowledge', {});
      outputState(g, state, `${state.incidentId} acknowledged by ${state.acknowledgedBy} (${state.acknowledgedVia ?? 'unverified'})`);
    });
}
