import type { DatabaseUrls } from '../../runbook-host/activities';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import defaultPolicy from '../../policy/default-policy.json';
import type { RunbookDef, RunbookPolicy } from '../../policy/runbook-schema';
import type { PolicyInput, ResponsePolicy } from '../../policy/schema';
import { createRunbookWorker } from '../../workers/runbook-worker';
import {
  runbookStateQuery,
  runbookWorkflowId,
  searchAttributes,
  stateQuery,
  type AlertRef,
  type RunbookState,
  type StepRun,
} from '../../contract';
import { testApprovalKeys, testPolicy, waitFor, type TestEnv } from './harness';
import { ephemeralDataConverter } from '../../dev/ephemeral-payload-key';

export const shippedRunbooks = (): RunbookDef[] =>
  JSON.parse(JSON.stringify((defaultPolicy as PolicyInput).runbooks!.definitions)) as RunbookDef[];

export const uniqueHost = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** The test policy with runbooks on: shipped definitions (or the given ones), routed to `host`. */
export function runbookPolicy(options: {
  host: string;
  definitions?: RunbookDef[];
  executables?: Record<string, string>;
  runbooks?: Partial<RunbookPolicy>;
}): ResponsePolicy {
  const shipped = (defaultPolicy as PolicyInput).runbooks!;
  // Shipped runbooks run on "local"; here that is the test's own host worker.
  const definitions = (options.definitions ?? shippedRunbooks()).map((d) =>
    d.host?.default && d.host.default !== 'local' ? d : { ...d, host: { label: d.host?.label ?? 'instance', default: options.host } },
  );
  return testPolicy({
    runbooks: {
      ...shipped,
      executables: { ...shipped.executables, ...options.executables },
      approvalTimeout: '60s',
      hostOfflineAfter: '20s',
      ...options.runbooks,
      definitions,
    },
  });
}

export function findRunbook(id: string): RunbookDef {
  return shippedRunbooks().find((d) => d.id === id)!;
}

/** A scratch directory with executable scripts in it; scripts find their siblings through $0. */
export function scriptDir(scripts: Record<string, string>): { dir: string; path: (name: string) => string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-test-'));
  for (const [name, body] of Object.entries(scripts)) {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    chmodSync(file, 0o755);
  }
  return { dir, path: (name) => path.join(dir, name) };
}

export async function startRunbookHost(
  env: TestEnv,
  options: { host: string; policy: ResponsePolicy; databases?: Record<string, DatabaseUrls>; secrets?: Record<string, string> },
): Promise<{ stop(): Promise<void> }> {
  const worker = await createRunbookWorker({
    dataConverter: ephemeralDataConverter(),
    connection: env.native,
    namespace: 'default',
    host: options.host,
    runbooks: options.policy.runbooks,
    databases: options.databases ?? {},
    env: options.secrets ?? {},
    approvalKey: testApprovalKeys().verify,
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** The incident's runbook workflow, found by the incident id. */
export async function runbookHandle(env: TestEnv, incident: WorkflowHandle): Promise<WorkflowHandle> {
  const incidentId =
    (await incident.query(stateQuery).catch(() => null))?.incidentId ||
    (await incident.describe()).typedSearchAttributes.get(searchAttributes.incidentId);
  if (!incidentId) throw new Error(`${incident.workflowId} has no incident id yet`);
  return env.client.workflow.getHandle(runbookWorkflowId(incidentId));
}

export async function runbookState(env: TestEnv, incident: WorkflowHandle): Promise<RunbookState> {
  return (await runbookHandle(env, incident)).query(runbookStateQuery);
}

/** Waits until the step reaches one of the statuses and returns it. */
export async function waitForStep(
  env: TestEnv,
  incident: WorkflowHandle,
  ref: string,
  statuses: StepRun['status'][],
  timeoutMs = 30_000,
): Promise<StepRun> {
  return waitFor(
    async () => {
      const state = await runbookState(env, incident).catch(() => undefined);
      const step = state?.steps.find((s) => s.plan.ref === ref);
      return step && statuses.includes(step.status) ? step : undefined;
    },
    `${ref} to be ${statuses.join(' or ')}`,
    timeoutMs,
  );
}

/** A firing alert as the webhook maps it, with a fingerprint of its own. */
export const firingAlert = (name: string, labels: Record<string, string> = {}): AlertRef => ({
  fingerprint: `${name}-${randomUUID().slice(0, 8)}`,
  name,
  status: 'firing',
  labels: { alertname: name, ...labels },
});

/** A shell step for test runbooks: read-only by default, detect phase. */
export const shellStep = (id: string, argv: string[], extra: Partial<RunbookDef['steps'][number]> = {}): RunbookDef['steps'][number] => ({
  id,
  title: id,
  phase: 'detect',
  kind: 'shell',
  approval: 'none',
  timeout: '60s',
  args: [],
  action: 'query',
  argv,
  ...extra,
});

/** A sql step for test runbooks. */
export const sqlStep = (id: string, database: string, sql: string): RunbookDef['steps'][number] =>
  shellStep(id, [], { kind: 'sql', argv: undefined, database, sql, timeout: '20s' });

/** A test runbook on `host`, attached by an alert named `<id>-alert`. */
export const testRunbook = (host: string, id: string, steps: RunbookDef['steps'], extra: Partial<RunbookDef> = {}): RunbookDef => ({
  id,
  title: id,
  description: '',
  match: { always: false, alertnames: [`${id}-alert`], labels: {} },
  host: { label: 'instance', default: host },
  params: [],
  followUps: [],
  steps,
  ...extra,
});

/** Another database on the test server, and the URL to reach it (as a role of the test's, if given). */
export function scratchDatabase(database: string, password: string) {
  return (user?: string) => {
    const url = new URL(process.env.TEST_DB_URL!);
    url.pathname = `/${database}`;
    url.search = '';
    if (user) {
      url.username = user;
      url.password = password;
    }
    return url.toString();
  };
}

/**
 * A runbook `gate` on a host of its own, with one changing step (`gate/change`) that runs only after an
 * approval and leaves a file behind when it runs: `marked()` says whether it ran.
 */
export function gatedRunbook(name: string): { host: string; policy: ResponsePolicy; marked: () => boolean } {
  const host = uniqueHost(name);
  const scripts = scriptDir({ mark: '#!/bin/sh\ntouch "$(dirname "$0")/marked"\n' });
  const policy = runbookPolicy({
    host,
    definitions: [testRunbook(host, 'gate', [shellStep('change', ['mark'], { approval: 'required' })])],
    executables: { mark: scripts.path('mark') },
  });
  return { host, policy, marked: () => existsSync(scripts.path('marked')) };
}
