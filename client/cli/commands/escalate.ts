import type { Command } from 'commander';
import { escalateUpdate } from '../../../contract';
import { actor, globals, outputState, withIncident } from '../context';
import { runUpdate } from '../../temporal';

export function register(program: Command): void {
  program
    .command('escalate')
    .description('page the next level of the escalation path now')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, raw: { reason?: string }, command: Command) => {
      const g = globals(command);
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, escalateUpdate, { by, reason: raw.reason }));
      outputState(g, state, `${state.incidentId} escalated to level ${state.escalationLevel}`);
    });
}
