import type { Command } from 'commander';
import type { EvidenceRecord } from '../../../contract';
import { cliConfig, globals, output, withClient } from '../context';
import { formatState } from '../format';
import { formatEvidence } from '../runbooks';
import { findIncident, readState, runStoreWorkflow } from '../../temporal';

export function register(program: Command): void {
  program
    .command('show')
    .description('state and timeline of an incident')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--evidence', "print every runbook step's command, exit code, duration and output")
    .action(async (id: string, raw: { evidence?: boolean }, command: Command) => {
      const g = globals(command);
      await withClient(g, async (client) => {
        const ref = await findIncident(client, id);
        if (raw.evidence) {
          const records = await runStoreWorkflow<EvidenceRecord[]>(
            client,
            'evidenceWorkflow',
            { incidentId: ref.incidentId },
            cliConfig().TASK_QUEUE,
          );
          output(g, records, `Evidence of ${ref.incidentId}:\n\n${formatEvidence(records)}`);
          return;
        }
        const state = await readState(ref);
        output(g, state, formatState(state));
      });
    });
}
