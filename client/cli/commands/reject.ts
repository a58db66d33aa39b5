import type { Command } from 'commander';
import { z } from 'zod';
import { rejectStepUpdate } from '../../../contract';
import { actor, globals, output, parseOptions, withClient } from '../context';
import { findRunbooks, formatStep, stepSchema as step } from '../runbooks';
import { findIncident, runUpdate } from '../../temporal';

export function register(program: Command): void {
  program
    .command('reject')
    .description('reject a runbook step: it never runs (a running step is stopped and its process killed)')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<step>', 'step, as RUNBOOK/STEP or a step id unique in the incident')
    .requiredOption('--reason <text>', 'why; recorded on the timeline')
    .action(async (id: string, rawStep: string, raw: unknown, command: Command) => {
      const options = parseOptions(
        z.object({ step, reason: z.string().trim().min(1, 'a rejection needs a reason').max(2000) }),
        { ...(raw as object), step: rawStep },
        ['step'],
      );
      const g = globals(command);
      const by = actor(g);
      await withClient(g, async (client) => {
        const ref = await findIncident(client, id);
        const runbooks = await findRunbooks(client, ref);
        const run = await runUpdate(ref, rejectStepUpdate, { by, step: options.step, reason: options.reason }, runbooks.handle);
        output(g, run, `${run.plan.ref} rejected by ${by}: ${options.reason}\n${formatStep(run)}`);
      });
    });
}
