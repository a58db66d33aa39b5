import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { globals, outputState } from '../context';

export function register(program: Command): void {
  program
    .command('escalate')
    .description('page the next level of the escalation path now')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, raw: { reason?: string }, command: Command) => {
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'escalate', { reason: raw.reason });
      outputState(g, state, `${state.incidentId} escalated to level ${state.escalationLevel}`);
    });
}
