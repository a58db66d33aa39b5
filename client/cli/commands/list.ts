import type { Command } from 'commander';
import { z } from 'zod';
import { INCIDENT_WORKFLOW_TYPE, PHASES, SEVERITIES, searchAttributes } from '../../../contract';
import { cliIo, withClient, globals, output, parseOptions, watchFrames, watchOption } from '../context';
import { age, paintSeverity, printable } from '../format';
import { listExecutions } from '../../visibility';

const schema = z.object({
  severity: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(SEVERITIES, { message: 'must be one of P0, P1, P2, P3' }))
    .optional(),
  phase: z.enum(PHASES, { message: `must be one of ${PHASES.join(', ')}` }).optional(),
  service: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,100}$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  all: z.boolean().optional(),
  watch: watchOption,
});

/** Incidents read per list (newest first from visibility). */
const LIST_LIMIT = 1000;

export function register(program: Command): void {
  program
    .command('list')
    .description('open incidents (Temporal visibility), newest first')
    .option('--severity <P0..P3>', 'only this severity')
    .option('--phase <phase>', 'only this phase')
    .option('--service <name>', 'only this service')
    .option('--all', 'include resolved incidents')
    .option('--watch [seconds]', 'print again whenever the list changes (looking every 2 s) until Ctrl-C')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(schema, raw);
      const g = globals(command);
      const clauses = [`WorkflowType = "${INCIDENT_WORKFLOW_TYPE}"`];
      if (!options.all) clauses.push('ExecutionStatus = "Running"');
      if (options.severity) clauses.push(`${searchAttributes.severity.name} = "${options.severity}"`);
      if (options.phase) clauses.push(`${searchAttributes.phase.name} = "${options.phase}"`);
      if (options.service) clauses.push(`${searchAttributes.service.name} = "${options.service}"`);
      await withClient(g, async (client) => {
        const frame = async () => {
          const rows = [];
          // One execution at a time: one whose memo does not open with our key is someone else's, left out.
          for await (const w of listExecutions(client, clauses.join(' AND '), LIST_LIMIT)) {
            if (!w.memo) continue;
            const sa = (key: { name: string }) => w.keywords[key.name];
            rows.push({
              incidentId: sa(searchAttributes.incidentId) ?? '(registering)',
              severity: sa(searchAttributes.severity) ?? '',
              status: sa(searchAttributes.status) ?? '',
              phase: sa(searchAttributes.phase) ?? '',
              service: sa(searchAttributes.service) ?? '',
              title: typeof w.memo.title === 'string' ? w.memo.title : '',
              startedAt: (w.startTime ?? new Date(0)).toISOString(),
              workflowId: w.workflowId,
            });
          }
          rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt)); // newest first, with or without --all
          const now = Date.now();
          const colour = cliIo().colour ?? false;
          const human = rows.length
            ? [
                `${'ID'.padEnd(9)} SEV ${'STATUS'.padEnd(12)} ${'PHASE'.padEnd(11)} ${'SERVICE'.padEnd(14)} ${'AGE'.padEnd(5)} TITLE`,
                ...rows.map(
                  (r) =>
                    `${r.incidentId.padEnd(9)} ${paintSeverity(r.severity, colour, 3)} ${r.status.padEnd(12)} ${r.phase.padEnd(11)} ${printable(r.service).padEnd(14)} ${age(r.startedAt, now).padEnd(5)} ${printable(r.title)}`,
                ),
              ].join('\n')
            : 'No incidents match.';
          return { data: rows, human };
        };
        if (options.watch) return watchFrames(g, options.watch, frame);
        const { data, human } = await frame();
        output(g, data, human);
      });
    });
}
