import type { Command } from 'commander';
import type { StepRun } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, output, parseOptions } from '../context';
import { formatStep, stepSchema as step } from '../runbooks';

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
      const run = await act<StepRun>(g, id, 'reject', { step: options.step, reason: options.reason });
      output(g, run, `${run.plan.ref} rejected by ${run.rejectedBy}: ${options.reason}\n${formatStep(run)}`);
    });
}
