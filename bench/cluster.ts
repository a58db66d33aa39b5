/**
 * `npm run bench:cluster`: the production topology from `npm run cluster` (Temporal's four services on
 * PostgreSQL, workers and HTTP servers as processes) under load, in one run. Prints a table; asserts
 * nothing. The load generator runs in this process, on the same 2 cores: read ratios, not absolutes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { workflowIdForGroup } from '../server/webhook/mapping';
import { persistedSecret } from '../server/server';
import { startCluster, type Cluster } from '../dev/cluster';
import { writeSmokePolicy } from '../dev/cluster-smoke';
import { firingPayload } from '../dev/alert-payload';
import { pagesSoonerThan, percentile } from '../dev/probes';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = `${Date.now().toString(36)}`;
const OPEN = Number(process.env.BENCH_OPEN ?? 200);

/** Groups are keyed by their label alone, like Alertmanager's group_by: ['group']. */
const groupKeyOf = (group: string) => `{}:{group="${group}"}`;

const alert = (group: string, n: number, severity: string) =>
  firingPayload({
    groupKey: groupKeyOf(group),
    receiver: 'bench',
    groupLabels: { group },
    labels: { alertname: 'BenchCluster', severity, service: 'bench', group },
    alertLabels: { instance: `i${n}` },
    summary: `Bench ${group}`,
    fingerprint: `${group}-${n}`.slice(-16),
  });

interface Load {
  name: string;
  groups: number;
  alertsPerGroup: number;
  ports: number[];
  /** Alerts per second; unpaced (concurrency 16) when unset. */
  rate?: number;
  /** critical (P1: escalates every few seconds under the bench policy) or warning (P3: pages once). */
  severity: 'critical' | 'warning';
  during?: (fraction: number) => void;
}

/** Posts like Alertmanager would with two targets: a refused or failed post goes to the other server. */
async function post(load: Load, token: string): Promise<{ accepted: number; seconds: number; postedAt: Map<string, number> }> {
  const jobs: { group: string; n: number }[] = [];
  for (let n = 0; n < load.alertsPerGroup; n++) for (let g = 0; g < load.groups; g++) jobs.push({ group: `${load.name}-${run}-${g}`, n });
  const postedAt = new Map<string, number>();
  let accepted = 0;
  let next = 0;
  const started = Date.now();
  const one = async (i: number) => {
    const job = jobs[i]!;
    if (load.rate) await sleep(Math.max(0, started + (i * 1000) / load.rate - Date.now()));
    load.during?.(i / jobs.length);
    for (let attempt = 0; attempt < 40; attempt++) {
      const port = load.ports[(i + attempt) % load.ports.length]!;
      const response = await fetch(`http://127.0.0.1:${port}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(alert(job.group, job.n, load.severity)),
      }).catch(() => undefined);
      if (response?.ok) {
        accepted++;
        if (!postedAt.has(job.group)) postedAt.set(job.group, Date.now());
        return;
      }
      await sleep(250);
    }
  };
  const workers = Array.from({ length: load.rate ? jobs.length : 16 }, async () => {
    while (next < jobs.length) await one(next++);
  });
  await Promise.all(workers);
  return { accepted, seconds: (Date.now() - started) / 1000, postedAt };
}

const firstPages = (smtp: TestSmtp, prefix: string) => {
  const first = new Map<string, number>();
  for (const m of smtp.mails) {
    const group = /Bench (\S+)/.exec(m.text)?.[1];
    if (group?.startsWith(prefix) && m.subject.includes('(page:') && !first.has(group)) first.set(group, m.receivedAt);
  }
  return first;
};

async function waitForPages(smtp: TestSmtp, prefix: string, groups: number, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (firstPages(smtp, prefix).size < groups && Date.now() < deadline) await sleep(500);
  return firstPages(smtp, prefix);
}

function latencies(postedAt: Map<string, number>, pages: Map<string, number>): number[] {
  return [...postedAt].flatMap(([group, at]) => (pages.has(group) ? [pages.get(group)! - at] : []));
}

const rss = (cluster: Cluster, name: string) => {
  const pid = cluster.processes.get(name)?.pid;
  if (!pid) return NaN;
  const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  return Math.round(kb / 1024);
};

/** The smoke test's policy (seconds for minutes), with P1 status updates every 10 s: open incidents keep working. */
function benchPolicy(dir: string): string {
  const file = writeSmokePolicy(dir);
  const policy = JSON.parse(readFileSync(file, 'utf8')) as { severities: { P1: { statusUpdateEvery?: string } } };
  policy.severities.P1.statusUpdateEvery = '10s';
  writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

async function main() {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-')), 'cluster');
  const smtp = await startSmtp();
  const token = persistedSecret(dir, 'webhook-token');
  const ports: [number, number] = [3101, 3102];
  const adminUrl = process.env.CLUSTER_DATABASE_URL ?? process.env.DATABASE_URL;
  // Every run on fresh databases: incidents of an earlier run would still be escalating.
  if (adminUrl) {
    const admin = new Pool({ connectionString: adminUrl, max: 1 });
    for (const db of ['incident_bench_temporal', 'incident_bench_temporal_visibility', 'incident_bench_store'])
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
  ephemeralDataConverter(); // the run's payload key, in the environment every cluster process inherits
  const cluster = await startCluster({
    dir,
    adminUrl,
    frontendPort: 17333,
    databasePrefix: 'incident_bench',
    uiPort: 18333,
    httpPorts: ports,
    appEnv: {
      WEBHOOK_TOKEN: token,
      ACK_LINK_SECRET: persistedSecret(dir, 'ack-link-secret'),
      METRICS_TOKEN: persistedSecret(dir, 'metrics-token'),
      SMTP_URL: smtp.url,
      POLICY_FILE: benchPolicy(dir),
      DATA_DIR: dir,
    },
  });
  const rows: string[][] = [];
  try {
    // 1. One HTTP server and one worker, then two of each, with the same load.
    cluster.processes.get('worker-2')!.kill('SIGTERM');
    await sleep(3000);
    const one = await post({ name: 'one', groups: 100, alertsPerGroup: 3, ports: [ports[0]], severity: 'warning' }, token);
    const onePages = await waitForPages(smtp, `one-${run}`, 100);
    cluster.restart('worker-2');
    await sleep(5000);
    const two = await post({ name: 'two', groups: 100, alertsPerGroup: 3, ports, severity: 'warning' }, token);
    const twoPages = await waitForPages(smtp, `two-${run}`, 100);
    const l1 = latencies(one.postedAt, onePages);
    const l2 = latencies(two.postedAt, twoPages);
    rows.push([
      'Ingestion, 1 HTTP server + 1 worker (300 alerts, 100 groups)',
      `${Math.round(one.accepted / one.seconds)} alerts/s; first page p50/p99 ${percentile(l1, 50)} / ${percentile(l1, 99)} ms`,
    ]);
    rows.push([
      'Ingestion, 2 HTTP servers + 2 workers (same load)',
      `${Math.round(two.accepted / two.seconds)} alerts/s; first page p50/p99 ${percentile(l2, 50)} / ${percentile(l2, 99)} ms`,
    ]);
    rows.push(['Ratio, two of each / one of each (alerts/s)', (two.accepted / two.seconds / (one.accepted / one.seconds)).toFixed(2)]);

    // 2. Alert to first page at 10 groups/s.
    const paced = await post({ name: 'paced', groups: 100, alertsPerGroup: 1, ports, rate: 10, severity: 'warning' }, token);
    const lp = latencies(paced.postedAt, await waitForPages(smtp, `paced-${run}`, 100));
    rows.push(['Alert → first page at 10 groups/s (100 groups): p50 / p99', `${percentile(lp, 50)} / ${percentile(lp, 99)} ms`]);

    // 3. A 500-alert storm with kill -9 of one HTTP server, one worker and the history service.
    const killed = new Set<string>();
    const kill = (name: string) => {
      if (killed.has(name)) return;
      killed.add(name);
      cluster.processes.get(name)!.kill('SIGKILL');
      setTimeout(() => cluster.restart(name), 3000);
    };
    const storm = await post(
      {
        name: 'storm',
        groups: 100,
        alertsPerGroup: 5,
        ports,
        rate: 50,
        severity: 'critical',
        during: (f) => (f > 0.2 && kill('http-1'), f > 0.4 && kill('worker-1'), f > 0.6 && kill('temporal-history')),
      },
      token,
    );
    const stormPages = await waitForPages(smtp, `storm-${run}`, 100, 240_000);
    const pool = new Pool({ connectionString: cluster.storeUrl, max: 1 });
    const { rows: counts } = await pool.query<{ title: string; n: number }>(
      'SELECT title, count(*)::int AS n FROM incidents WHERE title LIKE $1 GROUP BY title',
      [`%Bench storm-${run}-%`],
    );
    await pool.end();
    const duplicateIncidents = counts.filter((c) => c.n > 1).length;
    // A repeat cycle pages the same people again after the repeat interval (8 s): a duplicate is sooner.
    const stormPageMails = smtp.mails.filter((x) => x.subject.includes('(page:') && x.text.includes(`storm-${run}`));
    // A repeat cycle pages the same people again after the repeat interval (8 s): a duplicate is sooner.
    const duplicatePages = pagesSoonerThan(stormPageMails, (to, m) => `${/INC-\d+/.exec(m.subject)?.[0]} ${to}`, 6_000);
    rows.push([
      'Storm: 500 alerts at 50/s, kill -9 http-1, worker-1, temporal-history (each back after 3 s)',
      `${storm.accepted}/500 accepted`,
    ]);
    rows.push([
      'Storm: groups with an incident / lost / duplicate incidents',
      `${counts.length} / ${100 - stormPages.size} / ${duplicateIncidents}`,
    ]);
    rows.push(['Storm: duplicate pages (same incident and person within 6 s; repeats come every 8 s)', String(duplicatePages)]);

    // 4. Many open incidents escalating at once: is the engineering lead paged on time (5 s after the alert)?
    const open = await post({ name: 'open', groups: OPEN, alertsPerGroup: 1, ports, rate: 20, severity: 'critical' }, token);
    await sleep(30_000);
    const leadAt = new Map<string, number>();
    for (const m of smtp.mails) {
      const group = /Bench (\S+)/.exec(m.text)?.[1];
      if (group?.startsWith(`open-${run}`) && m.subject.includes('(page: Engineering lead)') && !leadAt.has(group))
        leadAt.set(group, m.receivedAt);
    }
    const lateness = [...open.postedAt].flatMap(([group, at]) => (leadAt.has(group) ? [leadAt.get(group)! - (at + 5000)] : []));
    rows.push([
      `${OPEN} open P1 incidents (status updates every 10 s) posted at 20/s: lead paged within 30 s / lateness p50 / p99 (page time minus alert + 5 s SLA)`,
      `${leadAt.size} / ${percentile(lateness, 50)} / ${percentile(lateness, 99)} ms`,
    ]);

    // Events per incident history, on a sample of the open incidents (continue-as-new starts a new run).
    const connection = await Connection.connect({ address: cluster.address });
    const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
    const lengths: number[] = [];
    for (const group of [...open.postedAt.keys()].slice(0, 20)) {
      const described = await client.workflow
        .getHandle(workflowIdForGroup(groupKeyOf(group)))
        .describe()
        .catch(() => undefined);
      if (described) lengths.push(described.historyLength);
    }
    await connection.close();
    rows.push([
      'Events per open incident history at the end (the 20 oldest): median / max',
      `${percentile(lengths, 50)} / ${Math.max(...lengths)}`,
    ]);

    // 5. What the workers hold after all of it.
    rows.push(['Worker RSS after the runs (worker-1 / worker-2)', `${rss(cluster, 'worker-1')} / ${rss(cluster, 'worker-2')} MB`]);
  } finally {
    await cluster.stop();
    await smtp.close();
  }
  console.log('\n| bench:cluster | Result |\n| --- | --- |');
  for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
}

main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
