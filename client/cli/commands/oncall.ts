import type { Command } from 'commander';
import { z } from 'zod';
import { isoTime } from '../../store-requests';
import type { OnCallAnswer, OnCallRequest, Override, TeamOnCall } from '../../../contract';
import { globals, output, parseOptions, storeRequest } from '../context';

const describe = (a: OnCallAnswer) =>
  `${a.contactId ?? 'nobody (rotation gap)'} from ${a.from} to ${a.to}${a.source === 'override' ? ' (override)' : ''}`;

const oncallSchema = z.object({
  team: z.string().trim().min(1, 'must not be empty').optional(),
  at: isoTime('2026-12-01T09:00:00Z').optional(),
});

export function register(program: Command): void {
  program
    .command('oncall')
    .description("who is on call now and next, overrides included (each team's schedule, when the policy has teams)")
    .option('--team <id>', 'only this team')
    .option('--at <time>', 'at another moment (ISO time)')
    .action(async (raw: unknown, command: Command) => {
      const request: OnCallRequest = parseOptions(oncallSchema, raw);
      const g = globals(command);
      const who = await storeRequest<{ now: OnCallAnswer; next: OnCallAnswer; overrides?: Override[]; teams?: TeamOnCall[] }>(
        g,
        'onCallWorkflow',
        request,
      );
      if (who.teams) {
        const lines = who.teams.flatMap((t) => [
          `${t.name} (${t.team}, schedule ${t.schedule})`,
          `  now:  ${describe(t.now)}`,
          `  next: ${describe(t.next)}`,
        ]);
        return output(g, who.teams, lines.join('\n'));
      }
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
