import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, outputState, parseOptions } from '../context';

const impactSchema = z.object({ usersPct: z.coerce.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100') });

export function register(program: Command): void {
  program
    .command('impact')
    .description('record the share of users affected; P0/P1 above the policy threshold (10%) email customers')
    .argument('<id>', 'incident id, e.g. INC-42')
    .requiredOption('--users-pct <n>', 'percentage of users affected')
    .action(async (id: string, raw: { usersPct: string }, command: Command) => {
      const { usersPct } = parseOptions(impactSchema, raw);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'impact', { usersPct });
      // Whether customers heard of it, and when: the timeline says (the email goes out once per incident).
      const emailed = state.timeline.find((e) => e.kind === 'notification' && e.text.includes('(customers) by email'));
      const queued = state.timeline.find((e) => e.text.startsWith('Customers are being emailed'));
      const customers = emailed
        ? `customers were emailed at ${emailed.at}`
        : queued
          ? `customers are being emailed (since ${queued.at})`
          : 'customers have not been emailed (policy customerNotice: P0/P1 above its threshold)';
      outputState(g, state, `${state.incidentId}: ${usersPct}% of users affected; ${customers}`);
    });
}
