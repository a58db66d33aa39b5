import type { Command } from 'commander';
import { z } from 'zod';
import type { Override } from '../../../contract';
import { actor, globals, output, parseOptions, storeRequest } from '../context';

const overrideSchema = z
  .object({
    user: z.string().trim().min(1, 'must not be empty'),
    from: z.iso.datetime({ offset: true, message: 'expected an ISO time such as 2026-12-01T09:00:00Z' }),
    to: z.iso.datetime({ offset: true, message: 'expected an ISO time such as 2026-12-02T09:00:00Z' }),
  })
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ['to'], message: 'must be after --from' });

export function register(program: Command): void {
  program
    .command('override')
    .description('put someone on call for a window; pages honour it')
    .requiredOption('--user <contact-id>', 'a contact id from the policy')
    .requiredOption('--from <time>', 'ISO time, e.g. 2026-12-01T09:00:00Z')
    .requiredOption('--to <time>', 'ISO time')
    .action(async (raw: unknown, command: Command) => {
      const options = parseOptions(overrideSchema, raw);
      const g = globals(command);
      const override = await storeRequest<Override>(g, 'onCallOverrideWorkflow', {
        contactId: options.user,
        from: new Date(options.from).toISOString(),
        to: new Date(options.to).toISOString(),
        by: actor(g),
      });
      output(g, override, `${override.id}: ${override.contactId} is on call from ${override.from} to ${override.to}`);
    });
}
