/**
 * `npm run bench:scale`: bursts of new incidents (BENCH_SCALE, default 250,500,1000) posted to the
 * webhook at 100 groups/s, on the dev server's SQLite file (what `npm start` uses), with the worker as
 * its own process on its default settings, PostgreSQL, the in-process SMTP server and the Twilio
 * stand-in. The policy fires within a minute: the on-call engineer at once, the engineering lead at
 * 20 s, the CTO at 40 s, a status update at 30 s. Nobody acknowledges.
 *
 * The floor, measured first on the same server at the same N: a trivial workflow (one activity at
 * once, one 20 s timer, one activity when it fires) started by a client at the same rate. Prints a
 * table per N with the floor and the ratio beside each figure; asserts nothing.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { buildApp } from '../server/app';
import { workflowIdForGroup } from '../server/webhook/mapping';
import { loadConfig } from '../config/env';
import { firingPayload } from '../dev/alert-payload';
import { historyCost, type HistoryCost } from '../dev/history-cost';
import { percentile, waitFor } from '../dev/probes';
import { startSmtp } from '../dev/smtp-sink';
import { freePort } from '../dev/temporal-cli';
import { TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, startTwilioStandin } from '../dev/twilio-standin';
import defaultPolicy from '../policy/default-policy.json';
import { parsePolicy } from '../policy/load';
import type { PolicyInput } from '../policy/schema';
import { tuningOptions, workerTuning } from '../workers/create-worker';
import { openBenchEnv, type BenchEnv } from './env';
import type { FloorActivities } from './floor-workflow';
import { postFromThread } from './post';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const SIZES = (process.env.BENCH_SCALE ?? '250,500,1000').split(',').map(Number);
const RATE = 100;
const LEAD_AFTER_MS = 20_000;
const CTO_AFTER_MS = 40_000;
const STATUS_EVERY_MS = 30_000;
const TOKEN = 'bench-scale';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p50p99 = (values: number[]) => `${Math.round(percentile(values, 50))} / ${Math.round(percentile(values, 99))}`;
const ratio = (ours: number, floor: number) => (Number.isFinite(ours / floor) ? (ours / floor).toFixed(1) : '-');

/** The shipped policy with minutes made seconds; runbooks off (they would run real commands). */
function scalePolicy(dir: string): string {
  const p = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
  p.severities.P1 = { ...p.severities.P1, ackSla: `${LEAD_AFTER_MS / 1000}s`, statusUpdateEvery: `${STATUS_EVERY_MS / 1000}s` };
  p.escalation.levels = p.escalation.levels.map((level, i) => ({
    ...level,
    after: `${[0, LEAD_AFTER_MS, CTO_AFTER_MS, 600_000][i]! / 1000}s`,
  }));
  p.escalation.repeat = { times: 0, interval: '10m' };
  p.runbooks = { ...p.runbooks!, definitions: [] };
  const file = path.join(dir, 'scale-policy.json');
  writeFileSync(file, JSON.stringify(parsePolicy(p, 'bench:scale policy'), null, 2));
  return file;
}

const rssMb = (pid: number | undefined) => {
  if (!pid) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(/\d+/.exec(line ?? '')?.[0]) / 1024);
};

/** The dev server's own process (its start-dev child under the watchdog shell). */
const serverPid = (env: BenchEnv) =>
  Number(
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(env.server.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );

/** Percentiles of a Prometheus histogram (all label sets summed), in ms. */
function histogramMs(text: string, metric: string, ps: number[]): number[] {
  const buckets = new Map<number, number>();
  let scale = 1;
  for (const line of text.split('\n')) {
    const m = /^(\w+)_bucket\{(.*)\} (\S+)$/.exec(line);
    if (!m || !m[1]!.includes(metric)) continue;
    if (m[1]!.endsWith('_seconds')) scale = 1000;
    const le = /le="([^"]+)"/.exec(m[2]!)?.[1];
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[3]));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  return ps.map((p) => {
    const bucket = sorted.find(([, count]) => count >= (p / 100) * total);
    return bucket ? bucket[0] * scale : NaN;
  });
}

interface FloorResult {
  allPagedS: number;
  pageMs: number[];
  lateMs: number[];
  cost: HistoryCost;
  serverRss: number;
}

async function runFloor(env: BenchEnv, n: number): Promise<FloorResult> {
  const native = await NativeConnection.connect({ address: env.address });
  const connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
  const startedAt = new Map<string, number>();
  const pagedAt = new Map<string, number>();
  const lateMs: number[] = [];
  const activities: FloorActivities = {
    page: (id) => Promise.resolve(void pagedAt.set(id, Date.now())),
    escalate: (_id, dueMs) => Promise.resolve(void lateMs.push(Date.now() - dueMs)),
  };
  const worker = await Worker.create({
    dataConverter: ephemeralDataConverter(),
    connection: native,
    taskQueue: 'floor',
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./floor-workflow'), logger: quietLogger }),
    activities,
    ...tuningOptions(workerTuning(loadConfig({}))),
  });
  const running = worker.run();
  try {
    const t0 = Date.now();
    const ids = Array.from({ length: n }, (_, i) => `floor-${n}-${i}`);
    await Promise.all(
      ids.map(async (id, i) => {
        await sleep(Math.max(0, t0 + (i * 1000) / RATE - Date.now()));
        startedAt.set(id, Date.now());
        await client.workflow.start('floorWorkflow', { workflowId: id, taskQueue: 'floor', args: [LEAD_AFTER_MS] });
      }),
    );
    await waitFor('floor escalations', () => lateMs.length >= n || undefined, LEAD_AFTER_MS + 180_000, 500);
    const pageMs = ids.flatMap((id) => (pagedAt.has(id) ? [pagedAt.get(id)! - startedAt.get(id)!] : []));
    const cost = historyCost(await client.workflow.getHandle(ids[0]!).fetchHistory());
    return {
      allPagedS: (Math.max(...pagedAt.values()) - t0) / 1000,
      pageMs,
      lateMs,
      cost,
      serverRss: rssMb(serverPid(env)),
    };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await native.close();
  }
}

interface OursResult {
  paged: number;
  allPagedS: number;
  pageMs: number[];
  toStartMs: number[];
  startToPageMs: number[];
  /** Medians: started → first task picked up, first task's run, page activity scheduled → started, activity started → first page. */
  steps: number[];
  leadLateMs: number[];
  ctoLateMs: number[];
  statusLateMs: number[];
  workerRss: number;
  serverRss: number;
  scheduleToStartMs: number[];
  cost: HistoryCost;
}

async function runOurs(env: BenchEnv, n: number): Promise<OursResult> {
  const smtp = await startSmtp({ parse: false });
  const twilio = await startTwilioStandin();
  const metricsPort = await freePort();
  const policyFile = scalePolicy(env.dir);
  const connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
  const policy = parsePolicy(JSON.parse(readFileSync(policyFile, 'utf8')), 'bench:scale policy');
  const app = buildApp({ client, taskQueue: 'bench-scale', policy, auth: { kind: 'bearer', token: TOKEN } });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  // The worker as users run it: its own process, compiled, on its default settings.
  const worker: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []),
      path.join(__dirname, '../dist/workers/main.js'),
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: env.dbUrl,
        TEMPORAL_ADDRESS: env.address,
        TASK_QUEUE: 'bench-scale',
        POLICY_FILE: policyFile,
        SMTP_URL: smtp.url,
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: TWILIO_FROM,
        TWILIO_API_BASE_URL: twilio.url,
        WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        RUNBOOK_HOST: `bench-scale-${n}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let ready = false;
  worker.stdout!.on('data', (d: Buffer) => (ready ||= d.toString().includes('Worker serving')));
  try {
    await waitFor('the worker', () => ready || undefined, 60_000, 200);
    const groups = Array.from({ length: n }, (_, i) => `s${n}-${i}`);
    const bodies = groups.map((g) =>
      firingPayload({
        groupKey: `{}:{group="${g}"}`,
        receiver: 'bench',
        groupLabels: { group: g },
        labels: { alertname: 'BenchScale', severity: 'critical', service: 'bench', group: g },
        alertLabels: { instance: 'i0' },
        summary: `Bench ${g}`,
        fingerprint: g,
      }),
    );
    const t0 = Date.now();
    const posted = await postFromThread(base, TOKEN, bodies, { intervalMs: 1000 / RATE });
    const sentAt = new Map(groups.map((g, i) => [g, posted.results[i]!.sentAt]));
    const firstPage = () => {
      const first = new Map<string, number>();
      const note = (text: string, at: number) => {
        // Raw mail: a folded header may break the title at its space.
        const g = /Bench\s+(s\d+-\d+)/.exec(text)?.[1];
        if (g && !((first.get(g) ?? Infinity) <= at)) first.set(g, at);
      };
      for (const m of smtp.mails) if (m.text.includes('(page:')) note(m.text, m.receivedAt);
      for (const r of twilio.requests) note(`${r.Body ?? ''}${r.Twiml ?? ''}`, r.receivedAt);
      return first;
    };
    await waitFor('every first page', () => firstPage().size >= n || undefined, 180_000, 500).catch(() => undefined);
    const first = firstPage();
    // Hold until the CTO level and the first status update are due for the last incident, and a little more.
    await sleep(Math.max(0, t0 + (n * 1000) / RATE + CTO_AFTER_MS + 15_000 - Date.now()));
    const { rows } = await env.db.query<{ key: string; late: number }>(
      `SELECT split_part(p.dedup_key, ':', 1) || ':' || split_part(p.dedup_key, ':', 2) AS key,
              EXTRACT(EPOCH FROM (min(p.sent_at) - i.declared_at)) * 1000 AS late
         FROM pages p JOIN incidents i ON i.number = p.incident_number
        WHERE p.sent_at IS NOT NULL AND (p.dedup_key LIKE 'page:c0-l1:%' OR p.dedup_key LIKE 'page:c0-l2:%' OR p.dedup_key LIKE 'status:1:%')
        GROUP BY i.number, 1`,
    );
    const lateOf = (key: string, dueMs: number) => rows.filter((r) => r.key === key).map((r) => Number(r.late) - dueMs);
    // Where a first page's time goes: the webhook and server up to the workflow's start, then the rest.
    const declared = await env.db.query<{ title: string; at: Date }>('SELECT title, declared_at AS at FROM incidents');
    const startedAt = new Map(declared.rows.map((r) => [/Bench (\S+)/.exec(r.title)?.[1] ?? '', r.at.getTime()]));
    const toStartMs = groups.flatMap((g) => (startedAt.has(g) ? [startedAt.get(g)! - sentAt.get(g)!] : []));
    const startToPageMs = groups.flatMap((g) => (startedAt.has(g) && first.has(g) ? [first.get(g)! - startedAt.get(g)!] : []));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const costs: HistoryCost[] = [];
    const steps: number[][] = [];
    // A sample across the burst (every n/20-th incident): its cost, and where its first page's time went.
    for (const g of groups.filter((_, i) => i % Math.max(1, Math.floor(n / 20)) === 0).slice(0, 20)) {
      const history = await client.workflow.getHandle(workflowIdForGroup(`{}:{group="${g}"}`)).fetchHistory();
      costs.push(historyCost(history));
      steps.push(firstPageSteps(history, first.get(g)));
    }
    const median = (pick: (c: HistoryCost) => number) => percentile(costs.map(pick), 50);
    return {
      paged: first.size,
      allPagedS: (Math.max(...first.values()) - t0) / 1000,
      pageMs: groups.flatMap((g) => (first.has(g) ? [first.get(g)! - sentAt.get(g)!] : [])),
      toStartMs,
      startToPageMs,
      steps: [0, 1, 2, 3].map((k) =>
        percentile(
          steps.map((st) => st[k]!),
          50,
        ),
      ),
      leadLateMs: lateOf('page:c0-l1', LEAD_AFTER_MS),
      ctoLateMs: lateOf('page:c0-l2', CTO_AFTER_MS),
      statusLateMs: lateOf('status:1', STATUS_EVERY_MS),
      workerRss: rssMb(worker.pid),
      serverRss: rssMb(serverPid(env)),
      scheduleToStartMs: histogramMs(metrics, 'workflow_task_schedule_to_start_latency', [50, 99]),
      cost: {
        events: median((c) => c.events),
        bytes: median((c) => c.bytes),
        workflowTasks: median((c) => c.workflowTasks),
        activities: median((c) => c.activities),
        localActivities: median((c) => c.localActivities),
        timersStarted: median((c) => c.timersStarted),
        timersCancelled: median((c) => c.timersCancelled),
      },
    };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await app.close();
    await connection.close();
    await twilio.close();
    await smtp.close();
  }
}

const ms = (e: temporal.api.history.v1.IHistoryEvent | undefined) =>
  e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.round((e.eventTime.nanos ?? 0) / 1e6) : NaN;

/** From a history: start → first task started, first task started → completed, page activity scheduled → started, started → `pagedAt`. */
function firstPageSteps(history: temporal.api.history.v1.IHistory, pagedAt: number | undefined): number[] {
  const events = history.events ?? [];
  const T = temporal.api.enums.v1.EventType;
  const find = (type: temporal.api.enums.v1.EventType) => events.find((e) => e.eventType === type);
  const scheduled = find(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const started = events.find(
    (e) =>
      e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId),
  );
  return [
    ms(find(T.EVENT_TYPE_WORKFLOW_TASK_STARTED)) - ms(events[0]),
    ms(find(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) - ms(find(T.EVENT_TYPE_WORKFLOW_TASK_STARTED)),
    ms(started) - ms(scheduled),
    (pagedAt ?? NaN) - ms(started),
  ];
}

const quietLogger = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };

async function main() {
  const tables: string[] = [];
  for (const n of SIZES) {
    const env = await openBenchEnv(`bench-scale-${n}`, {}, { sqlite: true });
    try {
      const floor = await runFloor(env, n);
      const ours = await runOurs(env, n);
      const rows: [string, string, string, string][] = [
        ['Incidents paged', `${ours.paged}/${n}`, `${floor.pageMs.length}/${n}`, ''],
        [
          'Time from the first alert to the last first page (s)',
          ours.allPagedS.toFixed(1),
          floor.allPagedS.toFixed(1),
          ratio(ours.allPagedS, floor.allPagedS),
        ],
        [
          'Alert → first page p50 / p99 (ms)',
          p50p99(ours.pageMs),
          p50p99(floor.pageMs),
          `${ratio(percentile(ours.pageMs, 50), percentile(floor.pageMs, 50))} / ${ratio(percentile(ours.pageMs, 99), percentile(floor.pageMs, 99))}`,
        ],
        ['… of which alert → incident started (webhook, server) p50 / p99 (ms)', p50p99(ours.toStartMs), '', ''],
        ['… and incident started → first page p50 / p99 (ms)', p50p99(ours.startToPageMs), '', ''],
        [
          '… medians of a sample: start → first task picked up / first task / page activity queued / sending (ms)',
          ours.steps.map((v) => Math.round(v)).join(' / '),
          '',
          '',
        ],
        [
          'Escalation lateness, lead at 20 s, p50 / p99 (ms; floor: its 20 s timer)',
          p50p99(ours.leadLateMs),
          p50p99(floor.lateMs),
          `${ratio(percentile(ours.leadLateMs, 99), percentile(floor.lateMs, 99))} (p99)`,
        ],
        ['Escalation lateness, CTO at 40 s, p50 / p99 (ms)', p50p99(ours.ctoLateMs), '', ''],
        ['Status update lateness, first at 30 s, p50 / p99 (ms)', p50p99(ours.statusLateMs), '', ''],
        [
          'Workflow task schedule-to-start p50 / p99 (ms, SDK metrics, bucket bounds)',
          ours.scheduleToStartMs.map((v) => Math.round(v)).join(' / '),
          '',
          '',
        ],
        ['Worker RSS (MB)', String(ours.workerRss), '', ''],
        ['Temporal server RSS (MB), after each', String(ours.serverRss), String(floor.serverRss), ''],
        [
          'Per incident: workflow tasks / activities (local) / events (median of 20)',
          `${ours.cost.workflowTasks} / ${ours.cost.activities} (${ours.cost.localActivities}) / ${ours.cost.events}`,
          `${floor.cost.workflowTasks} / ${floor.cost.activities} / ${floor.cost.events}`,
          ratio(ours.cost.events, floor.cost.events),
        ],
      ];
      tables.push(
        [
          `\n| bench:scale, ${n} incidents at ${RATE}/s | ours | floor | ours / floor |`,
          '| --- | --- | --- | --- |',
          ...rows.map((r) => `| ${r.join(' | ')} |`),
        ].join('\n'),
      );
      console.log(tables.at(-1));
    } finally {
      await env.close();
    }
  }
  console.log(`\nSQLite dev server, worker on its defaults, 2 cores shared by everything here.${tables.join('\n')}`);
}

main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
