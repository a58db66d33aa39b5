import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, outputState, parseOptions } from '../context';

const textSchema = z.object({ text: z.string().trim().min(1, 'the update must not be empty').max(2000) });

export function register(program: Command): void {
  program
    .command('update')
    .description('post a status update; --public also shows it on the public status page')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<text...>', 'the update')
    .option('--public', 'publish on the status page (internal note otherwise)')
    .action(async (id: string, words: string[], raw: { public?: boolean }, command: Command) => {
      const { text } = parseOptions(textSchema, { text: words.join(' ') }, ['text']);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, raw.public ? 'public-update' : 'note', { text });
      outputState(g, state, `${raw.public ? 'Public update posted' : 'Note added'} on ${state.incidentId}`);
    });
}
