import type { Command } from 'commander';
import type { EvidenceRecord } from '../../../contract';
import { z } from 'zod';
import { cliConfig, globals, output, parseOptions, watchFrames, watchOption, withClient } from '../context';
import { formatState } from '../format';
import { formatEvidence } from '../runbooks';
import { findIncident, readState, runStoreWorkflow } from '../../temporal';

export function register(program: Command): void {
  program
    .command('show')
    .description('state and timeline of an incident')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--evidence', "print every runbook step's command, exit code, duration and output")
    .option('--all', "every timeline event (runs of the system's detail are folded otherwise)")
    .option('--watch [seconds]', 'print again whenever it changes (looking every 2 s) until Ctrl-C or resolution')
    .action(async (id: string, raw: { evidence?: boolean; all?: boolean; watch?: true | string }, command: Command) => {
      const { watch } = parseOptions(z.object({ watch: watchOption }), { watch: raw.watch });
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
        if (watch) {
          await watchFrames(g, watch, async () => {
            const state = await readState(await findIncident(client, ref.handle.workflowId));
            return { data: state, human: formatState(state, { all: raw.all }), final: state.status === 'resolved' };
          });
          return;
        }
        const state = await readState(ref);
        output(g, state, formatState(state, { all: raw.all }));
      });
    });
}
