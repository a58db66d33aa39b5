import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorType, refreshDraftUpdate, type ReviewState } from '../../../contract';
import { apiCall, asPerson, withClient, globals, output } from '../context';
import { IncidentError } from '../../failures';
import { openReview, reviewIncidentId, submitPostMortem } from '../../postmortem';
export function register(program: Command): void {
  program
    .command('postmortem')
    .description('print the post-mortem draft (from the real timeline), write it to a file, or submit it')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--out <file>', 'write the draft to this file')
    .option('--submit <file>', 'submit this Markdown file; required sections must be filled')
    .action(async (id: string, raw: { out?: string; submit?: string }, command: Command) => {
      const g = globals(command);
      const incidentId = reviewIncidentId(id);
      let markdown: string | undefined;
      if (raw.submit) {
        try {
          markdown = readFileSync(raw.submit, 'utf8');
        } catch (error) {
          throw new IncidentError(`cannot read ${raw.submit}: ${(error as Error).message}`, ErrorType.InvalidInput);
        }
      }
      if (markdown !== undefined) {
        const state = await asPerson(
          g,
          () => apiCall<ReviewState>('POST', `/api/v1/incidents/${incidentId}/postmortem`, { markdown }),
          (by) => withClient(g, (client) => submitPostMortem(client, incidentId, { by, markdown: markdown })),
        );
        output(
          g,
          state,
          `Post-mortem of ${incidentId} submitted by ${state.submittedBy}${state.submittedVia ? ` (${state.submittedVia})` : ''} and sent to the distribution list.`,
        );
        return;
      }
      await withClient(g, async (client) => {
        const { handle, running } = await openReview(client, incidentId);
        const state = running ? await handle.executeUpdate(refreshDraftUpdate) : ((await handle.result()) as ReviewState);
        const text = state.markdown ?? state.draft;
        if (raw.out) {
          writeFileSync(raw.out, text);
          output(
            g,
            { ...state, file: raw.out },
            `${state.markdown ? 'Submitted post-mortem' : 'Draft'} of ${incidentId} written to ${raw.out} (due ${state.dueAt}).`,
          );
        } else {
          output(g, state, text);
        }
      });
    });
}
