import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorType, runbookPlanQuery, type IncidentState, type RunbookSummary } from '../../../contract';
import { act, globals, output, parseOptions, storeRequest, withClient } from '../context';
import { findRunbooks, formatPlan, formatRunbooks, readRunbooks } from '../runbooks';
import { findIncident } from '../../temporal';
import { IncidentError } from '../../failures';

const schema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'runbook names are lower-case slugs, e.g. db-connection-pool')
    .optional(),
  dryRun: z.boolean().default(false),
});

export function register(program: Command): void {
  const runbook = program
    .command('runbook')
    .description("attach a runbook to an incident, show what it would run (--dry-run), or show its steps' progress")
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('[name]', 'runbook id from the policy, e.g. db-connection-pool')
    .option('--dry-run', 'print the exact argv or SQL of every step, and attach nothing')
    .action(async (id: string, name: string | undefined, raw: unknown, command: Command) => {
      const options = parseOptions(schema, { ...(raw as object), name }, ['name']);
      const g = globals(command);
      await withClient(g, async (client) => {
        const ref = await findIncident(client, id);
        if (!options.name) {
          if (options.dryRun) throw new IncidentError('--dry-run needs a runbook name', ErrorType.InvalidInput);
          const state = await readRunbooks(await findRunbooks(client, ref));
          output(g, state, formatRunbooks(state));
          return;
        }
        if (options.dryRun) {
          if (!ref.running) throw new IncidentError(`${ref.incidentId} is resolved and closed`, ErrorType.InvalidTransition);
          const plans = await ref.handle.query(runbookPlanQuery, options.name).catch((error: Error) => {
            throw new IncidentError(`${ref.incidentId}: ${error.message}`, ErrorType.NotFound);
          });
          output(g, plans, `Dry run of ${options.name} for ${ref.incidentId}: nothing is attached or run.\n\n${formatPlan(plans)}`);
          return;
        }
      });
      if (!options.name || options.dryRun) return;
      const state = await act<IncidentState>(g, id, 'attach-runbook', { runbook: options.name });
      output(g, state, `Runbook ${options.name} attached to ${state.incidentId}; its steps start with their phases.`);
    });
  runbook
    .command('list')
    .description('the runbooks the policy defines, with what attaches them (runbook INC-n shows those of an incident)')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const runbooks = await storeRequest<RunbookSummary[]>(g, 'runbookCatalogWorkflow', undefined);
      const human = runbooks.length
        ? [
            `${'RUNBOOK'.padEnd(24)} ${'STEPS'.padEnd(6)} ${'APPROVAL'.padEnd(9)} ${'ATTACHES ON'.padEnd(30)} TITLE`,
            ...runbooks.map(
              (r) =>
                `${r.id.padEnd(24)} ${String(r.steps).padEnd(6)} ${String(r.needApproval).padEnd(9)} ${(r.matches.join(', ') || 'by hand').padEnd(30)} ${r.title}`,
            ),
          ].join('\n')
        : 'The policy defines no runbooks.';
      output(g, runbooks, human);
    });
  for (const sub of runbook.commands) sub.exitOverride();
}
