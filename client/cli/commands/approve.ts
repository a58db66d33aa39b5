import type { Command } from 'commander';
import type { StepRun } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { ErrorType } from '../../../contract';
import { describeCommand, findStep } from '../../../policy/runbook-plan';
import { globals, output, parseOptions, withClient } from '../context';
import { IncidentError } from '../../failures';
import { findRunbooks, formatStep, readRunbooks, stepSchema as step } from '../runbooks';
import { findIncident } from '../../temporal';

export function register(program: Command): void {
  program
    .command('approve')
    .description('approve a runbook step that changes something; it runs right after')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<step>', 'step, as RUNBOOK/STEP or a step id unique in the incident')
    .option('--dry-run', 'show what the step would run, and approve nothing')
    .action(async (id: string, rawStep: string, raw: unknown, command: Command) => {
      const options = parseOptions(z.object({ step, dryRun: z.boolean().default(false) }), { ...(raw as object), step: rawStep }, ['step']);
      const g = globals(command);
      if (options.dryRun) {
        await withClient(g, async (client) => {
          const ref = await findIncident(client, id);
          const runbooks = await findRunbooks(client, ref);
          const state = await readRunbooks(runbooks);
          const found = findStep(state.steps, options.step, ref.incidentId);
          if ('error' in found)
            throw new IncidentError(found.error, found.type === ErrorType.NotFound ? ErrorType.NotFound : ErrorType.InvalidInput);
          const run = found.step;
          output(
            g,
            run.plan,
            `Dry run: ${run.plan.ref} would run on host ${run.plan.host ?? '-'}:\n  ${run.plan.skip ? `nothing (skipped: ${run.plan.skip})` : describeCommand(run.plan)}`,
          );
        });
        return;
      }
      const run = await act<StepRun>(g, id, 'approve', { step: options.step });
      output(g, run, `${run.plan.ref} approved by ${run.approvedBy}; it runs now on host ${run.plan.host ?? '-'}.\n${formatStep(run)}`);
    });
}
