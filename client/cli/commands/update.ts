import type { Command } from 'commander';
import { z } from 'zod';
import { addNoteUpdate, postPublicUpdate } from '../../../contract';
import { actor, globals, outputState, parseOptions, withIncident } from '../context';
import { runUpdate } from '../../temporal';

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
      const by = actor(g);
      const state = await withIncident(g, id, (ref) =>
        raw.public ? runUpdate(ref, postPublicUpdate, { by, text }) : runUpdate(ref, addNoteUpdate, { by, text }),
      );
      outputState(g, state, `${raw.public ? 'Public update posted' : 'Note added'} on ${state.incidentId}`);
    });
}
