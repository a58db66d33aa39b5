/**
 * After a run: every workflow task that failed, read from the server's histories (not from test outcomes).
 * With TEST_WORKFLOW_CACHE=off each task replayed its whole history, so a task that cannot replay shows
 * here. Tests that make tasks fail on purpose name their workflows `*-expected-wft-failure*` or run on
 * task queues of the same mark; those are listed apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { exportHistory } from './helpers/history-export';

const FAILED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;

export interface TaskFailureReport {
  workflows: number;
  failures: { workflowId: string; type: string; taskQueue: string; count: number; cause: string; expected?: string; history?: string }[];
}

/** Where an unexpected failure's history is kept, ready to replay (`npm run histories:replay <file>`). */
const KEPT = path.resolve(__dirname, '../test-artifacts/wft-failures');

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

/**
 * Why a failed task is no replay failure, if it is none: the server's own answers (an update or signal
 * arriving mid-task, a workflow terminated mid-task), and the key tests' workflows, which a worker must
 * refuse (sealed with another key, not sealed, or forged input).
 */
function expectedFailure(cause: temporal.api.enums.v1.WorkflowTaskFailedCause, workflowId: string, taskQueue: string): string | undefined {
  if (cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) return 'the server: a new event arrived mid-task';
  if (cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND) return 'the server: terminated mid-task';
  if (taskQueue.startsWith('test-temporal-access-') || workflowId.startsWith('incident-forged-'))
    return 'a key test: the worker refuses what it cannot open';
  return undefined;
}

export async function countWorkflowTaskFailures(address: string): Promise<TaskFailureReport> {
  const connection = await Connection.connect({ address });
  // Raw calls: nothing is decoded, so histories sealed with another key (the key tests) are read too.
  const service = connection.workflowService;
  const namespace = 'default';
  try {
    const report: TaskFailureReport = { workflows: 0, failures: [] };
    let pageToken: Uint8Array | undefined;
    do {
      const page = await service.listWorkflowExecutions({ namespace, pageSize: 200, nextPageToken: pageToken });
      for (const execution of page.executions ?? []) {
        report.workflows++;
        let count = 0;
        let cause = '';
        let causeCode = Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED;
        let historyToken: Uint8Array | undefined;
        do {
          const history = await service.getWorkflowExecutionHistory({
            namespace,
            execution: execution.execution!,
            nextPageToken: historyToken,
          });
          for (const event of history.history?.events ?? []) {
            if (event.eventType !== FAILED) continue;
            if (!count++) {
              const a = event.workflowTaskFailedEventAttributes;
              causeCode = a?.cause ?? 0;
              cause = `${Cause[causeCode] ?? causeCode} ${a?.failure?.message ?? ''}`.trim().slice(0, 300);
            }
          }
          historyToken = history.nextPageToken?.length ? history.nextPageToken : undefined;
        } while (historyToken);
        if (count) {
          const workflowId = execution.execution?.workflowId ?? '';
          const taskQueue = execution.taskQueue ?? '';
          const expected = expectedFailure(causeCode, workflowId, taskQueue);
          let history: string | undefined;
          let replayed: string | undefined;
          if (!expected) ({ file: history, replayed } = await keepAndReplay(address, workflowId, execution.execution?.runId ?? undefined));
          report.failures.push({
            workflowId,
            type: execution.type?.name ?? '',
            taskQueue,
            count,
            cause,
            ...(expected ? { expected } : {}),
            ...(replayed ? { expected: replayed } : {}),
            ...(history ? { history } : {}),
          });
        }
      }
      pageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (pageToken);
    return report;
  } finally {
    await connection.close();
  }
}

/**
 * The history is kept, then replayed from its first event by a fresh replayer with the run's workflow
 * code. A task that failed with the cache off but whose history replays cleanly is no nondeterminism
 * of ours: SDK 1.24 mishandles a local activity in flight when its run is evicted after every task
 * ("There should not be any outgoing commands … This is an SDK bug"), which a cached worker never does.
 * A history that fails this replay is a real replay failure, and stays unexpected.
 */
async function keepAndReplay(address: string, workflowId: string, runId?: string): Promise<{ file: string; replayed?: string }> {
  let file: string;
  let history: unknown;
  try {
    mkdirSync(KEPT, { recursive: true });
    file = path.join(KEPT, `${workflowId}.json`);
    history = await exportHistory(address, workflowId, runId);
    writeFileSync(file, JSON.stringify(history, null, 2));
  } catch (error) {
    return { file: `not kept: ${(error as Error).message}` };
  }
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) return { file };
  try {
    await Worker.runReplayHistory({ workflowBundle: { codePath }, replayName: 'wft-failure-check' }, history, workflowId);
    return { file, replayed: 'its whole history replays cleanly with the workflow code: an SDK fault of the cache-off mode' };
  } catch {
    return { file };
  }
}

/** Writes the report to TEST_WFT_REPORT (CI reads it) and says it on stderr. */
export async function reportWorkflowTaskFailures(address: string, file: string): Promise<void> {
  const report = await countWorkflowTaskFailures(address);
  writeFileSync(file, JSON.stringify(report, null, 2));
  const total = report.failures.reduce((n, f) => n + f.count, 0);
  const unexpected = report.failures.filter((f) => !f.expected).reduce((n, f) => n + f.count, 0);
  process.stderr.write(`\nWorkflow task failures in ${report.workflows} workflow histories: ${total}, of them unexpected: ${unexpected}\n`);
  for (const f of report.failures)
    process.stderr.write(
      `  ${f.count} × ${f.type} ${f.workflowId} (${f.taskQueue}): ${f.cause}${f.expected ? ` [expected: ${f.expected}]` : ''}${f.history ? `\n    history: ${f.history}` : ''}\n`,
    );
}
