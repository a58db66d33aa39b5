import type { Command } from 'commander';
import { z } from 'zod';
import { SEVERITIES, type IncidentInput } from '../../../contract';
import { registeredIncidentId, startDeclaredIncident } from '../../declare';
import { actor, cliConfig, withClient, globals, output, parseOptions } from '../context';

const schema = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(200),
  severity: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(SEVERITIES, { message: 'must be one of P0, P1, P2, P3' })),
  service: z.string().trim().min(1, 'must not be empty').max(100),
  commander: z.string().trim().min(1).optional(),
});

export function register(program: Command): void {
  program
    .command('declare')
    .description('declare a new incident and start paging')
    .requiredOption('-t, --title <title>', 'what is wrong, in a few words')
    .requiredOption('-s, --severity <P0..P3>', 'P0 critical, P1 high, P2 medium, P3 low')
    .requiredOption('--service <name>', 'affected service')
    .option('--commander <name>', 'incident commander (a contact id from the policy gets pages)')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(schema, raw);
      const g = globals(command);
      const by = actor(g);
      const config = cliConfig();
      await withClient(g, async (client) => {
        const input: IncidentInput = { ...options, source: 'manual', declaredBy: by };
        const handle = await startDeclaredIncident(client, config.TASK_QUEUE, input);
        const { workflowId } = handle;
        const incidentId = await registeredIncidentId(client, handle, config.TASK_QUEUE);
        const ui = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${client.options.namespace}/workflows/${workflowId}`;
        output(
          g,
          { incidentId, workflowId, severity: options.severity, ui },
          `${incidentId} declared [${options.severity}] ${options.title}\n  acknowledge: incidentctl ack ${incidentId}\n  web UI:      ${ui}`,
        );
      });
    });
}
