/**
 * Every patch the workflows ask about, and the one place they are asked. 1.0 carries none: its
 * histories (test/histories/*-v1.0.json) are the baseline every later version must replay.
 *
 * A behaviour change under running incidents after 1.0:
 *   1. add its id here (kebab-case, never reused) with a comment saying what changes;
 *   2. read it from the answers of `askPatches`, which each workflow calls first, before its first
 *      activity (a patch first asked after a local activity that resolved in a later workflow task
 *      fails to replay; ESLint forbids `patched()` anywhere else);
 *   3. capture the flow it changes (`HISTORY_TAG=v1.1 npm run histories:capture`) beside the older files.
 * Retiring one, once no open incident or saved history predates it: `deprecatePatch()` here for one
 * release (new runs still write the marker, old ones replay), then delete the id and the old branch,
 * with the histories that predate it. See docs/versioning.md.
 */
import { deprecatePatch, patched } from '@temporalio/workflow';

/** The incident workflow's patches (none at 1.0). */
export const PATCHES = {} as const satisfies Record<string, string>;

/** The runbook workflow's patches (none at 1.0). */
export const RUNBOOK_PATCHES = {} as const satisfies Record<string, string>;

/** Patches being retired: still marked by new runs for a release, never branched on. */
const DEPRECATED: readonly string[] = [];

/**
 * Asks each patch once, in a fixed order, and answers which this run has. Call it as the workflow's
 * first statement: the answers are then fixed for the run, and no marker lands after an activity.
 */
export function askPatches<P extends Record<string, string>>(patches: P): { readonly [K in keyof P]: boolean } {
  for (const id of DEPRECATED) deprecatePatch(id);
  const answers = {} as { [K in keyof P]: boolean };
  for (const name of Object.keys(patches).sort() as (keyof P & string)[]) answers[name] = patched(patches[name]!);
  return answers;
}
