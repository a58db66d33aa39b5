import type { Command } from 'commander';
import { z } from 'zod';
import { CONTROL_CHARACTERS, ErrorType, PUBLIC_IMPACTS, PUBLIC_STATES, type IncidentState } from '../../../contract';
import { IncidentError } from '../../failures';
import { act, globals, outputState, parseOptions } from '../context';

const schema = z.object({
  text: z.string().trim().min(1, 'the update must not be empty').max(2000),
  public: z.boolean().default(false),
  title: z
    .string()
    .trim()
    .min(1)
    .max(120)
    .refine((v) => !CONTROL_CHARACTERS.test(v), 'one line without control characters')
    .optional(),
  state: z.enum(PUBLIC_STATES.filter((s) => s !== 'resolved') as [string, ...string[]]).optional(),
  impact: z.enum(PUBLIC_IMPACTS).optional(),
  component: z.array(z.string().trim().min(1)).optional(),
});

export function register(program: Command): void {
  program
    .command('update')
    .description('post a status update; --public publishes it on the status page (nothing is public until then)')
    .argument('<id>', 'incident id, e.g. INC-42')
    .argument('<text...>', 'the update')
    .option('--public', 'publish on the status page (internal note otherwise)')
    .option('--title <text>', 'public title; required with the first public update (the internal title is never shown)')
    .option('--state <state>', `public state: ${PUBLIC_STATES.filter((s) => s !== 'resolved').join(', ')} (default: from the phase)`)
    .option('--impact <impact>', `what customers see: ${PUBLIC_IMPACTS.join(', ')} (default: partial-outage)`)
    .option('--component <id...>', 'status page components affected (default: those of the service)')
    .action(async (id: string, words: string[], raw: Record<string, unknown>, command: Command) => {
      const o = parseOptions(schema, { ...raw, text: words.join(' ') }, ['text']);
      const g = globals(command);
      if (!o.public && (o.title || o.state || o.impact || o.component))
        throw new IncidentError('--title, --state, --impact and --component go with --public', ErrorType.InvalidInput);
      const state = o.public
        ? await act<IncidentState>(g, id, 'public-update', {
            text: o.text,
            title: o.title,
            state: o.state,
            impact: o.impact,
            components: o.component,
          })
        : await act<IncidentState>(g, id, 'note', { text: o.text });
      outputState(g, state, `${o.public ? 'Public update posted' : 'Note added'} on ${state.incidentId}`);
    });
}
