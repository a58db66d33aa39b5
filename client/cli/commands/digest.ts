import type { Command } from 'commander';
import { DIGEST_SCHEDULE_ID, ErrorType } from '../../../contract';
import { withClient, globals, output } from '../context';
import { IncidentError } from '../../failures';

export function register(program: Command): void {
  program
    .command('digest')
    .description('the weekly post-incident digest Schedule; --now runs it at once')
    .option('--now', 'trigger the digest now')
    .action(async (raw: { now?: boolean }, command: Command) => {
      const g = globals(command);
      await withClient(g, async (client) => {
        const handle = client.schedule.getHandle(DIGEST_SCHEDULE_ID);
        const description = await handle.describe().catch(() => {
          throw new IncidentError(`no Schedule "${DIGEST_SCHEDULE_ID}": the worker creates it when it starts`, ErrorType.NotFound);
        });
        if (raw.now) await handle.trigger();
        const next = description.info.nextActionTimes[0]?.toISOString();
        output(
          g,
          { scheduleId: DIGEST_SCHEDULE_ID, triggered: Boolean(raw.now), nextRun: next },
          `${raw.now ? 'Digest triggered; it emails the engineering lead now.\n' : ''}Schedule ${DIGEST_SCHEDULE_ID}: next run ${next ?? 'none'}`,
        );
      });
    });
}
