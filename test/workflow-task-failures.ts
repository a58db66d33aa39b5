/**
 * After a run: every workflow task that failed, read from the server's histories (not from test outcomes).
 * With TEST_WORKFLOW_CACHE=off each task replayed its whole history, so a task that cannot replay shows
 * here. Tests that make tasks fail on purpose name their workflows `*-expected-wft-failure*` or run on
 * task queues of the same mark; those are listed apart.
 */
import { writeFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const FAILED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;

export interface TaskFailureReport {
  workflows: number;
  failures: { workflowId: string; type: string; taskQueue: string; count: number; cause: string }[];
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
              cause = `${String(a?.cause ?? '')} ${a?.failure?.message ?? ''}`.trim().slice(0, 300);
            }
          }
          historyToken = history.nextPageToken?.length ? history.nextPageToken : undefined;
        } while (historyToken);
        if (count)
          report.failures.push({
            workflowId: execution.execution?.workflowId ?? '',
            type: execution.type?.name ?? '',
            taskQueue: execution.taskQueue ?? '',
            count,
            cause,
          });
      }
      pageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (pageToken);
    return report;
  } finally {
    await connection.close();
  }
}

/** Writes the report to TEST_WFT_REPORT (CI reads it) and says it on stderr. */
export async function reportWorkflowTaskFailures(address: string, file: string): Promise<void> {
  const report = await countWorkflowTaskFailures(address);
  writeFileSync(file, JSON.stringify(report, null, 2));
  const total = report.failures.reduce((n, f) => n + f.count, 0);
  process.stderr.write(`\nWorkflow task failures in ${report.workflows} workflow histories: ${total}\n`);
  for (const f of report.failures) process.stderr.write(`  ${f.count} × ${f.type} ${f.workflowId} (${f.taskQueue}): ${f.cause}\n`);
}
