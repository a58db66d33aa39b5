import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { SEVERITIES } from '../../../contract';
import { globals, outputState, parseOptions } from '../context';

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
      const state = await act<IncidentState>(g, id, 'severity', options);
      outputState(g, state, `${state.incidentId} is now ${state.severity}`);
    });
}
