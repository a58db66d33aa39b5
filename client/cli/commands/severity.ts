import type { Command } from 'commander';
import { z } from 'zod';
import { SEVERITIES, changeSeverityUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

const schema = z.object({
  severity: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(SEVERITIES, { message: 'must be one of P0, P1, P2, P3' })),
  reason: z.string().optional(),
});

export function register(program: Command): void {
  program
    .command('severity')
    .description('change severity; SLAs, escalation and update cadence are re-planned')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<severity>', 'P0, P1, P2 or P3')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, severity: string, raw: { reason?: string }, command: Command) => {
      const options = parseOptions(schema, { severity, reason: raw.reason }, ['severity']);
      const g = globals(command);
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, changeSeverityUpdate, { by, ...options }));
      outputState(g, state, `${state.incidentId} is now ${state.severity}`);
    });
}
