/**
 * `npm run bench:runbooks`: what routing a command through Temporal costs. Runs the same trivial
 * command directly and as runbook steps (workflow, host task queue, evidence row, timeline line),
 * in the same run, against a real dev server and PostgreSQL. Prints numbers; asserts nothing.
 */
import { openBenchEnv } from './env';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { runProcess } from '../runbook-host/run-process';
import { ReviewStore } from '../store/review-store';
import { IncidentStore } from '../store/incident-store';
import defaultPolicy from '../policy/default-policy.json';
import { parsePolicy } from '../policy/load';
import type { PolicyInput } from '../policy/schema';
import { createIncidentWorker } from '../workers/create-worker';
import { createRunbookWorker } from '../workers/runbook-worker';
import {
  INCIDENT_WORKFLOW_TYPE,
  approveStepUpdate,
  advancePhaseUpdate,
  runbookStateQuery,
  runbookWorkflowId,
  stateQuery,
  type RunbookState,
} from '../contract';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 5);
const HOST = 'bench';
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main() {
  const bench = await openBenchEnv('bench-runbooks', { application_name: 'incident-orchestrator-bench' });
  const { db, cleanups } = bench;
  const server = { address: bench.address };
  try {
    const raw = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
    const step = (id: string, phase: 'detect' | 'contain', approval: 'none' | 'required') => ({
      id,
      title: id,
      phase,
      kind: 'shell' as const,
      approval,
      argv: ['true'],
    });
    raw.runbooks = {
      ...raw.runbooks!,
      executables: { true: 'true' },
      definitions: [
        {
          id: 'bench',
          title: 'Bench',
          match: { always: true },
          host: { label: 'instance', default: HOST },
          steps: [...Array.from({ length: STEPS }, (_, i) => step(`read-${i}`, 'detect', 'none')), step('change', 'contain', 'required')],
        },
      ],
    };
    // Approvals unverified (`by` as written): the bench measures steps, not identity checks.
    raw.identity = { require: [] };
    const policy = parsePolicy(raw, 'bench policy');

    const native = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
    cleanups.push(() => connection.close());
    const worker = await createIncidentWorker({
      dataConverter: ephemeralDataConverter(),
      connection: native,
      namespace: 'default',
      taskQueue: 'bench-incidents',
      deps: { store: new IncidentStore(db), reviews: new ReviewStore(db), policy },
    });
    const hostWorker = await createRunbookWorker({
      dataConverter: ephemeralDataConverter(),
      connection: native,
      namespace: 'default',
      host: HOST,
      runbooks: policy.runbooks,
      databases: {},
    });
    const running = Promise.all([worker.run(), hostWorker.run()]);
    cleanups.push(async () => {
      worker.shutdown();
      hostWorker.shutdown();
      await running;
      await native.close();
    });

    // Direct: the same command, spawned the same way, with nothing around it.
    const direct: number[] = [];
    for (let i = 0; i < STEPS * INCIDENTS; i++) {
      const t = performance.now();
      await runProcess({ file: '/usr/bin/true', args: [], env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000 });
      direct.push(performance.now() - t);
    }

    const perStep: number[] = [];
    const firstStep: number[] = [];
    const approvalToDone: number[] = [];
    for (let n = 0; n < INCIDENTS; n++) {
      const t0 = performance.now();
      const handle: WorkflowHandle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
        taskQueue: 'bench-incidents',
        workflowId: `bench-runbooks-${process.pid}-${n}`,
        args: [{ title: `Bench ${n}`, severity: 'P3', service: 'bench', source: 'manual', declaredBy: 'bench', commander: 'ic', policy }],
      });
      const incidentId = await until(async () => (await handle.query(stateQuery))?.incidentId || undefined, 'registration');
      const steps = client.workflow.getHandle(runbookWorkflowId(incidentId));
      let firstAt = 0;
      const done = await until(async () => {
        const s: RunbookState = await steps.query(runbookStateQuery);
        const reads = s.steps.filter((r) => r.plan.step.startsWith('read-'));
        if (!firstAt && reads.some((r) => r.status === 'succeeded')) firstAt = performance.now();
        return reads.length === STEPS && reads.every((r) => r.status === 'succeeded') ? performance.now() : undefined;
      }, 'the read-only steps');
      firstStep.push(firstAt - t0);
      perStep.push((done - firstAt) / (STEPS - 1));
      await handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
      await until(async () => {
        const s = await steps.query(runbookStateQuery);
        return s.steps.find((r) => r.plan.step === 'change')?.status === 'awaiting-approval' ? true : undefined;
      }, 'the approval request');
      const t1 = performance.now();
      await steps.executeUpdate(approveStepUpdate, { args: [{ by: 'ic', step: 'change' }] });
      await until(async () => {
        const s = await steps.query(runbookStateQuery);
        return s.steps.find((r) => r.plan.step === 'change')?.status === 'succeeded' ? true : undefined;
      }, 'the approved step');
      approvalToDone.push(performance.now() - t1);
      await handle.terminate('bench done');
      await steps.terminate('bench done').catch(() => undefined);
    }

    const directMs = median(direct);
    const stepMs = median(perStep);
    console.log(
      JSON.stringify(
        {
          steps_per_incident: STEPS,
          incidents: INCIDENTS,
          direct_spawn_ms_p50: round(directMs, 2),
          runbook_step_ms_p50: round(stepMs),
          runbook_step_over_direct: round(stepMs / directMs),
          declare_to_first_evidence_ms_p50: round(median(firstStep)),
          approve_to_step_done_ms_p50: round(median(approvalToDone)),
        },
        null,
        2,
      ),
    );
  } finally {
    await bench.close();
  }
}

main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
