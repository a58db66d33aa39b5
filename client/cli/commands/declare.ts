import type { Command } from 'commander';
import type { IncidentInput } from '../../../contract';
import { temporalUiUrl } from '../../../config/env';
import { declareIncident, declareRequest } from '../../declare';
import { apiCall, asPerson, cliConfig, withClient, globals, output, parseOptions } from '../context';

export function register(program: Command): void {
  program
    .command('declare')
    .description('declare a new incident and start paging')
    .requiredOption('-t, --title <title>', 'what is wrong, in a few words')
    .requiredOption('-s, --severity <P0..P3>', 'P0 critical, P1 high, P2 medium, P3 low')
    .requiredOption('--service <name>', 'affected service')
    .option('--commander <name>', 'incident commander (a contact id from the policy gets pages)')
    .option('--team <id>', "the owning team, whose escalation policy pages (policies with teams; default: the service's team)")
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(declareRequest, raw);
      const g = globals(command);
      const config = cliConfig();
      const declared = await asPerson(
        g,
        () => apiCall<{ incidentId: string; workflowId: string }>('POST', '/api/v1/incidents', options),
        (by) =>
          withClient(g, (client) => {
            const input: IncidentInput = { ...options, source: 'manual', declaredBy: by };
            return declareIncident(client, config.TASK_QUEUE, input);
          }),
      );
      const ui = `${temporalUiUrl(config)}/namespaces/${g.namespace ?? config.TEMPORAL_NAMESPACE}/workflows/${declared.workflowId}`;
      output(
        g,
        { ...declared, severity: options.severity, ui },
        `${declared.incidentId} declared [${options.severity}] ${options.title}\n  acknowledge: incidentctl ack ${declared.incidentId}\n  web UI:      ${ui}`,
      );
    });
}
