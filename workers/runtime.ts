/**
 * The SDK runtime of a worker process, installed once before any connection: its log lines one per line
 * (the message and a few fields, not an inspected object over fifteen lines), and the SDK's own metrics for
 * Prometheus when WORKER_METRICS_ADDRESS is set.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { AppConfig } from '../config/env';

/** The fields worth a glance; the rest (task tokens, attempt timestamps) stay out of the line. */
const FIELDS = ['workflowType', 'workflowId', 'activityType', 'attempt', 'taskQueue', 'error'] as const;

export function oneLine(entry: LogEntry): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const fields = FIELDS.filter((k) => meta[k] !== undefined && !(k === 'attempt' && meta[k] === 1)).map((k) => {
    const v = meta[k];
    return `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v)}`;
  });
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return `${time} ${entry.level.padEnd(5)} ${entry.message}${fields.length ? `  (${fields.join(' ')})` : ''}`.replace(/\n/g, ' ');
}

export function installWorkerRuntime(config: Pick<AppConfig, 'LOG_LEVEL' | 'WORKER_METRICS_ADDRESS'>): void {
  const level = config.LOG_LEVEL.toUpperCase() as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const loud = entry.level === 'ERROR' || entry.level === 'WARN';
      // The SDK's own lifecycle chatter (worker state, no Nexus services) is not news for an operator.
      const component = (entry.meta as { sdkComponent?: string } | undefined)?.sdkComponent;
      if (!loud && (component === 'worker' || component === 'core')) return;
      (loud ? console.error : console.log)(oneLine(entry));
    }),
    ...(config.WORKER_METRICS_ADDRESS
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } } } }
      : {}),
  });
}
