import type { Command } from 'commander';
import { z } from 'zod';
import { formatIncidentId, parseIncidentId, type ActionItem, type ActionItemRequest } from '../../../contract';
import { actor, globals, output, parseOptions, storeRequest } from '../context';

const addSchema = z.object({
  id: z
    .string()
    .refine((id) => parseIncidentId(id) !== undefined, 'expected an incident id such as INC-42')
    .transform((v) => formatIncidentId(parseIncidentId(v)!)),
  text: z.string().trim().min(1, 'must not be empty').max(500),
  owner: z.string().trim().min(1, 'must not be empty').max(100),
  due: z.iso.date('expected a date such as 2026-12-31'),
});

const run = (command: Command, request: ActionItemRequest) => storeRequest<ActionItem>(globals(command), 'actionItemWorkflow', request);

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
      const item = await run(command, {
        op: 'add',
        incidentId: options.id,
        text: options.text,
        owner: options.owner,
        due: options.due,
        by: actor(globals(command)),
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
      const item = await run(command, { op: 'done', id: actionId, by: actor(globals(command)) });
      output(globals(command), item, `${item.id} done: ${item.text}`);
    });
  for (const sub of action.commands) sub.exitOverride();
  action.exitOverride();
}
