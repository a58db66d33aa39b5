import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  INCIDENT_WORKFLOW_TYPE,
  SEVERITIES,
  incidentStartMetadata,
  searchAttributes,
  stateQuery,
  type IncidentInput,
} from '../../../contract';
import { IncidentError } from '../../failures';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
        // Readable in the Web UI's list: the title's words and a short random part (the INC number comes later).
        const slug = options.title
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')
          .slice(0, 40)
          .replace(/-$/, '');
        const workflowId = `incident-${slug ? `${slug}-` : ''}${randomUUID().slice(0, 8)}`;
        const input: IncidentInput = { ...options, source: 'manual', declaredBy: by };
        const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: config.TASK_QUEUE,
          args: [input],
          memo: { title: options.title },
          // The title, not the severity: a static summary cannot follow a change (current details do).
          staticSummary: incidentStartMetadata(input).summary,
          staticDetails: incidentStartMetadata(input).details,
          typedSearchAttributes: [
            { key: searchAttributes.title, value: options.title },
            { key: searchAttributes.severity, value: options.severity },
            { key: searchAttributes.service, value: options.service },
            { key: searchAttributes.phase, value: 'detect' },
            { key: searchAttributes.status, value: 'open' },
          ],
        });
        // The INC number comes from the store; wait until it is assigned and visible to `list`.
        const deadline = Date.now() + 20_000;
        let incidentId = '';
        while (!incidentId) {
          if (Date.now() > deadline)
            throw new IncidentError(
              `incident ${workflowId} started, but no worker registered it; is the worker running on task queue "${config.TASK_QUEUE}"?`,
              'Unavailable',
            );
          incidentId = (await handle.query(stateQuery).catch(() => null))?.incidentId ?? '';
          if (!incidentId) await sleep(150);
        }
        const query = `${searchAttributes.incidentId.name} = "${incidentId}"`;
        while (Date.now() < deadline && (await client.workflow.count(query)).count === 0) await sleep(100);
        const ui = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${client.options.namespace}/workflows/${workflowId}`;
        output(
          g,
          { incidentId, workflowId, severity: options.severity, ui },
          `${incidentId} declared [${options.severity}] ${options.title}\n  acknowledge: incidentctl ack ${incidentId}\n  web UI:      ${ui}`,
        );
      });
    });
}
