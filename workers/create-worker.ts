import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { AppConfig } from '../config/env';
import { createActivities, type ActivityDeps } from '../activities';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Seals and opens payloads (config/payload-keys.ts): a worker without the key can do nothing. */
  dataConverter: DataConverter;
  deps: ActivityDeps;
  /** A bundle made once (tests share one); without it the worker bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Overrides the tuning's workflow cache (tests: 0, every task replays the whole history). */
  maxCachedWorkflows?: number;
  /** Slots, pollers, cache and sticky timeout (WORKER_* settings); the SDK's defaults where unset. */
  tuning?: WorkerTuning;
}

export interface WorkerTuning {
  workflowSlots: number;
  workflowThreads: number;
  workflowPollers: number;
  activitySlots: number;
  activityPollers: number;
  localActivitySlots: number;
  cachedWorkflows: number;
  stickyTimeoutMs: number;
}

/** The WORKER_* settings as the SDK's options. */
export function tuningOptions(t: WorkerTuning): Partial<WorkerOptions> {
  return {
    maxConcurrentWorkflowTaskExecutions: t.workflowSlots,
    workflowThreadPoolSize: t.workflowThreads,
    maxConcurrentActivityTaskExecutions: t.activitySlots,
    maxConcurrentLocalActivityExecutions: t.localActivitySlots,
    // Every new incident's first task comes through the shared queue, later ones through this worker's
    // sticky queue: half the workflow polls watch each (the SDK gives the shared queue a fifth, which
    // left a burst of new incidents waiting seconds for a poll; bench:scale).
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: t.workflowPollers },
    nonStickyToStickyPollRatio: 1,
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: t.activityPollers },
    maxCachedWorkflows: t.cachedWorkflows,
    stickyQueueScheduleToStartTimeout: t.stickyTimeoutMs,
  };
}

export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  // From source, the workflows are bundled here: quietly (the bundler's module listing is not for operators).
  const workflowBundle =
    options.workflowBundle ??
    (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') }));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    workflowBundle,
    activities: createActivities(options.deps),
    ...(options.tuning ? tuningOptions(options.tuning) : {}),
    // 0 makes every workflow task a full replay from history (the replay-safety run of the tests).
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}

/** The WORKER_* settings of a validated configuration. */
export function workerTuning(config: AppConfig): WorkerTuning {
  return {
    workflowSlots: config.WORKER_WORKFLOW_SLOTS,
    workflowThreads: config.WORKER_WORKFLOW_THREADS,
    workflowPollers: config.WORKER_WORKFLOW_POLLERS,
    activitySlots: config.WORKER_ACTIVITY_SLOTS,
    activityPollers: config.WORKER_ACTIVITY_POLLERS,
    localActivitySlots: config.WORKER_LOCAL_ACTIVITY_SLOTS,
    cachedWorkflows: config.WORKER_CACHED_WORKFLOWS,
    stickyTimeoutMs: config.WORKER_STICKY_TIMEOUT_MS,
  };
}
