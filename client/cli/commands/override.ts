import type { Command } from 'commander';
import { z } from 'zod';
import { isoTime } from '../../store-requests';
import type { Override } from '../../../contract';
import { actingStoreRequest, globals, output, parseOptions, storeRequest } from '../context';

const overrideSchema = z
  .object({
    // Options, not required ones: `override list` and `override delete` take none of them.
    user: z.string({ message: 'required: who goes on call' }).trim().min(1, 'must not be empty'),
    from: z.string({ message: 'required' }).pipe(isoTime('2026-12-01T09:00:00Z')),
    to: z.string({ message: 'required' }).pipe(isoTime('2026-12-02T09:00:00Z')),
    schedule: z.string().trim().min(1, 'must not be empty').optional(),
  })
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ['to'], message: 'must be after --from' });

const table = (overrides: Override[]) =>
  overrides.length
    ? overrides
        .map(
          (o) =>
            `${o.id.padEnd(7)} ${o.contactId.padEnd(14)} ${o.from} → ${o.to}  (by ${o.createdBy}${o.schedule ? `; schedule ${o.schedule}` : ''})`,
        )
        .join('\n')
    : 'No current or upcoming overrides.';

export function register(program: Command): void {
  const override = program
    .command('override')
    .description('put someone on call for a window (pages honour it); override list, override delete O-n')
    .option('--user <contact-id>', 'a contact id from the policy')
    .option('--from <time>', 'ISO time, e.g. 2026-12-01T09:00:00Z')
    .option('--to <time>', 'ISO time')
    .option('--schedule <id>', "a team's schedule (policies with teams); default: the single rotation")
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(overrideSchema, raw);
      const g = globals(command);
      const override = await actingStoreRequest<Override>(g, '/api/v1/overrides', 'onCallOverrideWorkflow', {
        contactId: options.user,
        from: new Date(options.from).toISOString(),
        to: new Date(options.to).toISOString(),
        ...(options.schedule ? { schedule: options.schedule } : {}),
      });
      const where = override.schedule ? ` on ${override.schedule}` : '';
      output(g, override, `${override.id}: ${override.contactId} is on call${where} from ${override.from} to ${override.to}`);
    });
  override
    .command('list')
    .description('overrides in force now or later, soonest first')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const overrides = await storeRequest<Override[]>(g, 'onCallOverridesWorkflow', { op: 'list' });
      output(g, overrides, table(overrides));
    });
  override
    .command('delete')
    .description('remove an override: the rotation applies again for its window')
    .argument('<override-id>', 'e.g. O-3')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const { overrideId } = parseOptions(
        z.object({ overrideId: z.string().regex(/^O-\d+$/i, 'expected an override id such as O-3') }),
        { overrideId: id },
        ['overrideId'],
      );
      const [deleted] = await storeRequest<Override[]>(g, 'onCallOverridesWorkflow', { op: 'delete', id: overrideId });
      output(g, deleted, `${deleted!.id} deleted: ${deleted!.contactId} is no longer on call from ${deleted!.from} to ${deleted!.to}`);
    });
  for (const sub of override.commands) sub.exitOverride();
}
