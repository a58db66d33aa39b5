import type { Command } from 'commander';
import type { OnCallAnswer, Override } from '../../../contract';
import { globals, output, storeRequest } from '../context';

const describe = (a: OnCallAnswer) =>
  `${a.contactId ?? 'nobody (rotation gap)'} from ${a.from} to ${a.to}${a.source === 'override' ? ' (override)' : ''}`;

export function register(program: Command): void {
  program
    .command('oncall')
    .description('who is on call now and next, overrides included')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const who = await storeRequest<{ now: OnCallAnswer; next: OnCallAnswer; overrides?: Override[] }>(g, 'onCallWorkflow', undefined);
      const upcoming = (who.overrides ?? []).map((o) => `  ${o.id}  ${o.contactId} from ${o.from} to ${o.to} (by ${o.createdBy})`);
      output(
        g,
        who,
        [
          `now:  ${describe(who.now)}`,
          `next: ${describe(who.next)}`,
          upcoming.length ? `overrides:\n${upcoming.join('\n')}` : 'overrides: none',
        ].join('\n'),
      );
    });
}
