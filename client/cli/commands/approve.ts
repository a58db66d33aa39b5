import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorType, approveStepUpdate, rejectStepUpdate } from '../../../contract';
import { describeCommand, findStep } from '../../../policy/runbook-plan';
import { actor, globals, output, parseOptions, withClient } from '../context';
import { IncidentError } from '../../failures';
import { findRunbooks, formatStep, readRunbooks } from '../runbooks';
import { findIncident, runUpdate } from '../../temporal';

const step = z.string().trim().min(1, 'name the step, e.g. db-connection-pool/terminate-idle').max(200);

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
      await withClient(g, async (client) => {
        const ref = await findIncident(client, id);
        const runbooks = await findRunbooks(client, ref);
        if (options.dryRun) {
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
          return;
        }
        const by = actor(g);
        const run = await runUpdate(ref, approveStepUpdate, { by, step: options.step }, runbooks.handle);
        output(g, run, `${run.plan.ref} approved by ${by}; it runs now on host ${run.plan.host ?? '-'}.\n${formatStep(run)}`);
      });
    });

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
