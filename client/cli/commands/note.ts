import type { Command } from 'commander';
import { z } from 'zod';
import { addNoteUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

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
      const by = actor(g);
      const state = await withIncident(g, id, (ref) => runUpdate(ref, addNoteUpdate, { by, text }));
      outputState(g, state, `Note added to ${state.incidentId}`);
    });
}
