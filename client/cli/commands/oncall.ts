import type { Command } from 'commander';
import type { OnCallAnswer } from '../../../contract';
import { globals, output, storeRequest } from '../context';

const describe = (a: OnCallAnswer) =>
  `${a.contactId ?? 'nobody (rotation gap)'} from ${a.from} to ${a.to}${a.source === 'override' ? ' (override)' : ''}`;

export function register(program: Command): void {
  program
    .command('oncall')
    .description('who is on call now and next, overrides included')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const who = await storeRequest<{ now: OnCallAnswer; next: OnCallAnswer }>(g, 'onCallWorkflow', undefined);
      output(g, who, `now:  ${describe(who.now)}\nnext: ${describe(who.next)}`);
    });
}
