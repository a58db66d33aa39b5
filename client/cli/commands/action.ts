import type { Command } from 'commander';
import { z } from 'zod';
import { formatIncidentId, parseIncidentId, type ActionItem, type ActionItemRequest } from '../../../contract';
import { actingStoreRequest, globals, output, parseOptions, storeRequest } from '../context';

const addSchema = z.object({
  id: z
    .string()
    .refine((id) => parseIncidentId(id) !== undefined, 'expected an incident id such as INC-42')
    .transform((v) => formatIncidentId(parseIncidentId(v)!)),
  text: z.string().trim().min(1, 'must not be empty').max(500),
  owner: z.string().trim().min(1, 'must not be empty').max(100),
  due: z.iso.date('expected a date such as 2026-12-31'),
});

const run = <T = ActionItem>(command: Command, request: ActionItemRequest) =>
  storeRequest<T>(globals(command), 'actionItemWorkflow', request);

export function register(program: Command): void {
  const action = program.command('action').description('post-mortem action items');
  action
    .command('add')
    .description('add an action item to an incident')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<text>', 'what needs doing')
    .requiredOption('--owner <name>', 'who owns it')
    .requiredOption('--due <YYYY-MM-DD>', 'due date')
    .action(async (id: string, text: string, raw: { owner: string; due: string }, command: Command) => {
      const options = parseOptions(addSchema, { id, text, ...raw }, ['id', 'text']);
      const item = await actingStoreRequest<ActionItem>(globals(command), '/api/v1/action-items', 'actionItemWorkflow', {
        op: 'add',
        incidentId: options.id,
        text: options.text,
        owner: options.owner,
        due: options.due,
      });
      output(globals(command), item, `${item.id} added to ${item.incidentId}: ${item.text} (owner ${item.owner}, due ${item.due})`);
    });
  action
    .command('done')
    .description('close an action item')
    .argument('<action-id>', 'e.g. A-7')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const { actionId } = parseOptions(
        z.object({ actionId: z.string().regex(/^A-\d+$/i, 'expected an action item id such as A-7') }),
        { actionId: id },
        ['actionId'],
      );
      const item = await actingStoreRequest<ActionItem>(globals(command), '/api/v1/action-items', 'actionItemWorkflow', {
        op: 'done',
        id: actionId,
      });
      output(globals(command), item, `${item.id} done: ${item.text}`);
    });
  action
    .command('list')
    .description('action items, open first, soonest due first')
    .argument('[id]', 'only this incident, e.g. INC-42')
    .option('--open', 'only open items')
    .action(async (id: string | undefined, raw: { open?: boolean }, command: Command) => {
      const { incidentId } = parseOptions(z.object({ incidentId: addSchema.shape.id.optional() }), { incidentId: id }, ['incidentId']);
      const items = await run<ActionItem[]>(command, { op: 'list', incidentId, openOnly: raw.open ?? false });
      const now = new Date().toISOString().slice(0, 10);
      const human = items.length
        ? [
            `${'ID'.padEnd(6)} ${'INCIDENT'.padEnd(10)} ${'STATUS'.padEnd(8)} ${'DUE'.padEnd(10)}  ${'OWNER'.padEnd(12)} TEXT`,
            ...items.map(
              (a) =>
                `${a.id.padEnd(6)} ${a.incidentId.padEnd(10)} ${(a.status === 'open' && a.due < now ? 'overdue' : a.status).padEnd(8)} ${a.due}  ${a.owner.padEnd(12)} ${a.text}`,
            ),
          ].join('\n')
        : 'No action items.';
      output(globals(command), items, human);
    });
  for (const sub of action.commands) sub.exitOverride();
  action.exitOverride();
}
