/**
 * Listing incidents from visibility one execution at a time, so that one that cannot be read (a memo
 * sealed with another key, or never sealed: someone else's workflow) is left out instead of failing
 * the whole list. The SDK's list decodes a page at once and throws for the page.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { openPayload } from './payloads';

export interface ListedExecution {
  workflowId: string;
  taskQueue: string;
  running: boolean;
  startTime?: Date;
  closeTime?: Date;
  /** Keyword search attributes, by name (not payloads of ours: Temporal indexes them). */
  keywords: Record<string, string | undefined>;
  /** The memo, decoded; undefined when it does not open with our keys. */
  memo?: Record<string, unknown>;
}

const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const millis = (ts?: { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null) => {
  const s = ts?.seconds;
  if (s == null) return undefined;
  return new Date((typeof s === 'number' ? s : s.toNumber()) * 1000 + Math.floor((ts!.nanos ?? 0) / 1e6));
};

export async function* listExecutions(client: Client, query: string, limit: number): AsyncGenerator<ListedExecution> {
  const { payloadConverter } = client.options.loadedDataConverter;
  let nextPageToken: Uint8Array | undefined;
  let seen = 0;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: Math.min(100, limit),
      nextPageToken,
    });
    for (const raw of page.executions ?? []) {
      if (++seen > limit) return;
      let memo: Record<string, unknown> | undefined = {};
      try {
        for (const [key, payload] of Object.entries(raw.memo?.fields ?? {})) memo[key] = await openPayload(client, payload);
      } catch {
        memo = undefined;
      }
      const keywords: Record<string, string | undefined> = {};
      for (const [key, payload] of Object.entries(raw.searchAttributes?.indexedFields ?? {})) {
        try {
          const value: unknown = payloadConverter.fromPayload(payload);
          keywords[key] = typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
        } catch {
          keywords[key] = undefined;
        }
      }
      yield {
        workflowId: raw.execution?.workflowId ?? '',
        taskQueue: raw.taskQueue ?? '',
        running: raw.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
        startTime: millis(raw.startTime),
        closeTime: millis(raw.closeTime),
        keywords,
        memo,
      };
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}
