import { readFileSync, writeFileSync } from 'node:fs';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import {
  ErrorType,
  formatIncidentId,
  parseIncidentId,
  refreshDraftUpdate,
  reviewWorkflowId,
  submitPostMortemUpdate,
  type ReviewState,
} from '../../../contract';
import { actor, withClient, globals, output } from '../context';
import { IncidentError, kindOf } from '../../failures';

function incidentIdOf(id: string): string {
  const number = parseIncidentId(id);
  if (number === undefined) throw new IncidentError(`"${id}" is not an incident id (expected e.g. INC-42)`, ErrorType.InvalidInput);
  return formatIncidentId(number);
}

export function register(program: Command): void {
  program
    .command('postmortem')
    .description('print the post-mortem draft (from the real timeline), write it to a file, or submit it')
    .argument('<id>', 'incident id, e.g. INC-42')
    .option('--out <file>', 'write the draft to this file')
    .option('--submit <file>', 'submit this Markdown file; required sections must be filled')
    .action(async (id: string, raw: { out?: string; submit?: string }, command: Command) => {
      const g = globals(command);
      const incidentId = incidentIdOf(id);
      let markdown: string | undefined;
      if (raw.submit) {
        try {
          markdown = readFileSync(raw.submit, 'utf8');
        } catch (error) {
          throw new IncidentError(`cannot read ${raw.submit}: ${(error as Error).message}`, ErrorType.InvalidInput);
        }
      }
      await withClient(g, async (client) => {
        const handle = client.workflow.getHandle(reviewWorkflowId(incidentId));
        const running = await handle.describe().then(
          (d) => d.status.name === 'RUNNING',
          (error: unknown) => {
            if (error instanceof WorkflowNotFoundError)
              throw new IncidentError(
                `no post-incident review for ${incidentId}; reviews open when an incident is resolved`,
                ErrorType.NotFound,
              );
            throw error;
          },
        );
        if (markdown !== undefined) {
          if (!running) throw new IncidentError(`the post-mortem of ${incidentId} was already submitted`, ErrorType.AlreadySubmitted);
          const state = await handle
            .executeUpdate(submitPostMortemUpdate, { args: [{ by: actor(g), markdown }] })
            .catch((error: unknown) => {
              if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
                throw new IncidentError(`${incidentId}: ${error.cause.message}`, kindOf(error.cause.type));
              }
              throw error;
            });
          output(g, state, `Post-mortem of ${incidentId} submitted by ${state.submittedBy} and sent to the distribution list.`);
          return;
        }
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
