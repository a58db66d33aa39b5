import type { Command } from 'commander';
import type { IncidentState } from '../../../contract';
import { act } from '../context';
import { z } from 'zod';
import { globals, outputState, parseOptions } from '../context';

const schema = z.object({ text: z.string().trim().min(1, 'the note must not be empty').max(4000) });

export function register(program: Command): void {
  program
    .command('note')
    .description('add a note to the timeline')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<text...>', 'the note')
    .action(async (id: string, words: string[], _raw: unknown, command: Command) => {
      const { text } = parseOptions(schema, { text: words.join(' ') }, ['text']);
      const g = globals(command);
      const state = await act<IncidentState>(g, id, 'note', { text });
      outputState(g, state, `Note added to ${state.incidentId}`);
    });
}
