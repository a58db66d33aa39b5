import { z } from 'zod';
import { runbookStateQuery, type EvidenceRecord, type RunbookState, type StepPlan, type StepRun } from '../../contract';
import { describeCommand } from '../../policy/runbook-plan';

import type { RunbookRef } from '../temporal';

export { findRunbooks, type RunbookRef } from '../temporal';

export async function readRunbooks(rb: RunbookRef): Promise<RunbookState> {
  if (!rb.running) return (await rb.handle.result()) as RunbookState;
  return rb.handle.query(runbookStateQuery);
}

export function formatPlan(plans: StepPlan[]): string {
  return plans
    .map((p) => {
      const where = p.host ? ` on host ${p.host} (queue ${p.queue})` : '';
      const gate = p.approval === 'required' ? ' [approval required]' : '';
      const what = p.skip ? `SKIPPED: ${p.skip}` : describeCommand(p);
      return `${p.ref}  (${p.phase}, ${p.kind}${gate})${where}\n    ${what}`;
    })
    .join('\n');
}

export function formatStep(run: StepRun): string {
  const p = run.plan;
  const who = run.approvedBy ? `, approved by ${run.approvedBy}` : run.rejectedBy ? `, rejected by ${run.rejectedBy}: ${run.reason}` : '';
  const until = run.status === 'awaiting-approval' ? ` until ${run.approvalDeadline}${run.escalated ? ' (escalated)' : ''}` : '';
  const outcome = run.outcome
    ? `, exit ${run.outcome.exitCode ?? run.outcome.signal}${run.outcome.timedOut ? ' (timed out)' : ''} in ${run.outcome.durationMs} ms on ${run.outcome.host}, evidence #${run.outcome.evidenceId}`
    : '';
  const note = run.error ? `: ${run.error}` : run.status === 'skipped' && run.reason ? `: ${run.reason}` : '';
  return `  ${p.ref.padEnd(44)} ${p.phase.padEnd(11)} ${run.status}${until}${who}${outcome}${note}`;
}

export function formatRunbooks(state: RunbookState): string {
  const attached = state.sync.attached.map((a) => `  ${a.id} (attached by ${a.by} at ${a.at})`);
  return ['Runbooks:', ...attached, '', 'Steps:', ...state.steps.map(formatStep)].join('\n');
}

export function formatEvidence(records: EvidenceRecord[]): string {
  if (records.length === 0) return 'No runbook evidence recorded yet.';
  return records
    .map((r) =>
      [
        `#${r.id} ${r.ref} (${r.title}) on ${r.host} at ${r.at}${r.approvedBy ? `, approved by ${r.approvedBy}` : ''}`,
        `  command:  ${r.command}`,
        `  result:   exit ${r.exitCode ?? r.signal ?? '?'}${r.timedOut ? ' (timed out)' : ''} in ${r.durationMs} ms${r.truncated ? '; output truncated at 64 KiB' : ''}`,
        ...(r.stdout
          ? [
              '  stdout:',
              ...r.stdout
                .replace(/\n$/, '')
                .split('\n')
                .map((l) => `    ${l}`),
            ]
          : []),
        ...(r.stderr
          ? [
              '  stderr:',
              ...r.stderr
                .replace(/\n$/, '')
                .split('\n')
                .map((l) => `    ${l}`),
            ]
          : []),
      ].join('\n'),
    )
    .join('\n\n');
}

/** A step as the approve and reject commands name it. */
export const stepSchema = z.string().trim().min(1, 'name the step, e.g. db-connection-pool/terminate-idle').max(200);
