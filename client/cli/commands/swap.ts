import type { Command } from 'commander';
import { z } from 'zod';
import { SWAP_WORKFLOW_TYPE, type ShiftSwap } from '../../../contract';
import { swapAsk, swapRequestOf } from '../../swaps';
import { actingStoreRequest, apiCall, asPerson, globals, output, parseOptions, storeRequest } from '../context';

const swapId = z.object({ swapId: z.string().regex(/^S-\d+$/i, 'expected a swap id such as S-3') });

const describe = (s: ShiftSwap) =>
  `${s.id.padEnd(6)} ${s.status.padEnd(9)} ${s.schedule.padEnd(16)} ${s.from} → ${s.to}  ${s.requester} → ${s.taker}${s.overrideId ? ` (${s.overrideId})` : ''}`;

/** `swap accept|decline|cancel S-3`: the answer, as the person running it. */
function answer(swap: Command, op: 'accept' | 'decline' | 'cancel', description: string): void {
  swap
    .command(op)
    .description(description)
    .argument('<swap-id>', 'e.g. S-3')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const { swapId: sid } = parseOptions(swapId, { swapId: id.toUpperCase() }, ['swapId']);
      const done = await actingStoreRequest<ShiftSwap>(g, `/api/v1/swaps/${sid}/${op}`, SWAP_WORKFLOW_TYPE, { op, id: sid });
      const what =
        done.status === 'accepted'
          ? `${done.taker} is on call on ${done.schedule} from ${done.from} to ${done.to} (${done.overrideId}); both were told`
          : `${done.status}`;
      output(g, done, `${done.id}: ${what}`);
    });
}

export function register(program: Command): void {
  const swap = program
    .command('swap')
    .description('ask someone to take over your shift; they accept and it becomes an override: swap request|accept|decline|cancel|list');
  swap
    .command('request')
    .description('ask a colleague to take over your shift on a schedule (they are mailed the request)')
    .option('--schedule <id>', "the team's schedule")
    .option('--with <contact-id>', 'who is asked to take it')
    .option('--at <time>', 'the whole shift you are on call at this time, e.g. 2026-12-05T12:00:00Z')
    .option('--from <time>', 'or part of it: from (you must be on call then)')
    .option('--to <time>', 'to')
    .option('-r, --reason <text>', 'why')
    .action(async (raw: unknown, command: Command) => {
      const o = parseOptions(swapAsk, raw);
      const g = globals(command);
      const asked = await asPerson(
        g,
        () => apiCall<ShiftSwap>('POST', '/api/v1/swaps', o),
        (by) => storeRequest<ShiftSwap>(g, SWAP_WORKFLOW_TYPE, { ...swapRequestOf(o), by }),
      );
      output(
        g,
        asked,
        `${asked.id}: ${asked.taker} is asked to take ${asked.requester}'s shift on ${asked.schedule} from ${asked.from} to ${asked.to}`,
      );
    });
  answer(swap, 'accept', 'take over the shift: it becomes an override, and both of you are told');
  answer(swap, 'decline', 'say no: the one who asked is told');
  answer(swap, 'cancel', 'withdraw your own request');
  swap
    .command('list')
    .description('swaps whose window has not ended, soonest first')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const swaps = await storeRequest<ShiftSwap[]>(g, SWAP_WORKFLOW_TYPE, { op: 'list' });
      output(g, swaps, swaps.length ? swaps.map(describe).join('\n') : 'No shift swaps.');
    });
  for (const sub of swap.commands) sub.exitOverride();
}
