import type { Command } from 'commander';
import { z } from 'zod';
import { isoTime } from '../../store-requests';
import type { ScheduleCalendar } from '../../../contract';
import { globals, output, parseOptions, storeRequest } from '../context';

const DAY_MS = 86_400_000;
const showSchema = z
  .object({
    from: isoTime('2026-12-01T00:00:00Z').optional(),
    to: isoTime('2026-12-08T00:00:00Z').optional(),
  })
  .transform((o) => {
    const from = o.from ?? new Date().toISOString();
    return { from, to: o.to ?? new Date(Date.parse(from) + 7 * DAY_MS).toISOString() };
  })
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ['to'], message: 'must be after --from' })
  .refine((o) => Date.parse(o.to) - Date.parse(o.from) <= 366 * DAY_MS, { path: ['to'], message: 'at most a year after --from' });

/** "Mon 2026-03-02 09:00" on the schedule's own clock. */
function local(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')} ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export function register(program: Command): void {
  const schedule = program.command('schedule').description("a team schedule's shifts: schedule show <id> [--from] [--to]");
  schedule
    .command('show')
    .description('who is on call when, shift by shift, on the schedule’s own clock (a week from now by default)')
    .argument('<schedule>', 'a schedule id from the policy')
    .option('--from <time>', 'ISO time (default: now)')
    .option('--to <time>', 'ISO time (default: a week after --from)')
    .action(async (id: string, raw: unknown, command: Command) => {
      const window = parseOptions(showSchema, raw);
      const g = globals(command);
      const calendar = await storeRequest<ScheduleCalendar>(g, 'scheduleWorkflow', { schedule: id, ...window });
      const rows = calendar.shifts.map(
        (s) =>
          `${local(s.from, calendar.timeZone)} → ${local(s.to, calendar.timeZone)}  ${(s.contactId ?? 'nobody').padEnd(12)} ${s.layer}`,
      );
      output(g, calendar, [`${calendar.name} (${calendar.schedule}), times in ${calendar.timeZone}:`, ...rows].join('\n'));
    });
}
