/**
 * `npm run bench:ingest`: Alertmanager and Events API v2 ingestion throughput and alert-to-first-page latency, against a
 * real Temporal dev server, PostgreSQL, worker, in-process SMTP server and the Twilio stand-in, all on
 * this machine. Runs twice in one go: on the dev server's SQLite file (what `npm start` uses) and on
 * its in-memory store. Prints a table; asserts nothing. The ceiling is raw signalWithStart from a
 * client against the same server, in the same run, with the same mix and concurrency. A first page is
 * the first channel of an incident's page that reached its provider (Twilio stand-in or SMTP).
 */
import { openBenchEnv } from './env';
import { postFromThread } from './post';
import { percentile } from '../dev/probes';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../server/app';
import { createMetrics } from '../server/metrics';
import { mapGroup, workflowIdForGroup } from '../server/webhook/mapping';
import { workflowIdForEvent } from '../server/intake/events-v2';
import { IntegrationStore } from '../store/integration-store';
import type { WebhookPayload } from '../server/webhook/payload';
import { createSmtpMailer } from '../adapters/mailer';
import { IncidentStore } from '../store/incident-store';
import { ReviewStore } from '../store/review-store';
import { loadPolicy } from '../policy/load';
import { createIncidentWorker, workerTuning } from '../workers/create-worker';
import { loadConfig } from '../config/env';
import { createTwilioMessenger } from '../adapters/twilio';
import { TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, startTwilioStandin } from '../dev/twilio-standin';
import { INCIDENT_WORKFLOW_TYPE, alertsSignal, searchAttributes } from '../contract';
import { ephemeralDataConverter } from '../dev/ephemeral-payload-key';

const GROUPS = Number(process.env.BENCH_GROUPS ?? 300);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TOKEN = 'bench';

const pct = percentile;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

function payload(groupKey: string, fingerprint: string, severity = 'critical'): WebhookPayload {
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'bench',
    groupLabels: { alertname: 'Bench' },
    commonLabels: { alertname: 'Bench', severity, service: 'bench' },
    commonAnnotations: { summary: `Bench ${groupKey}` },
    externalURL: 'http://alertmanager',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Bench', severity, service: 'bench', instance: fingerprint },
        annotations: { summary: `Bench ${groupKey}` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint,
      },
    ],
  };
}

/** Runs `jobs` with at most `limit` in flight; returns each job's latency in ms. */
async function pool<T>(items: T[], limit: number, job: (item: T) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t = performance.now();
        await job(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

/** One storage's run: everything below on a dev server of its own. */
async function runOn(sqlite: boolean) {
  const bench = await openBenchEnv(`bench-ingest-${sqlite ? 'sqlite' : 'memory'}`, {}, { sqlite });
  const { db, cleanups } = bench;
  const server = { address: bench.address };
  try {
    const pages = new Map<string, number>(); // incident title -> first page time (performance.now())
    const paged = (title: string | undefined, at: number) => {
      if (title && !((pages.get(title) ?? Infinity) <= at)) pages.set(title, at);
    };
    const twilio = await startTwilioStandin();
    cleanups.push(() => twilio.close());
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        let raw = '';
        stream.on('data', (d: Buffer) => (raw += d.toString()));
        stream.on('end', () => {
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
          paged(/INC-\d+: (Bench \S+) \(page:/.exec(subject)?.[1], performance.now());
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => smtp.close(() => r(undefined))));
    const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;

    const policy = loadPolicy();
    // Ingestion is measured on a queue no worker polls, so the ratio compares ingestion alone;
    // paging latency and the sustained rate run with the worker on its own queue.
    const ingestQueue = 'bench-ingest';
    const taskQueue = 'bench';
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await createIncidentWorker({
      dataConverter: ephemeralDataConverter(),
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: {
        store: new IncidentStore(db),
        reviews: new ReviewStore(db),
        mailer: createSmtpMailer(smtpUrl, 'bench@local'),
        phone: createTwilioMessenger({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: TWILIO_FROM, apiBaseUrl: twilio.url }),
        policy,
      },
      tuning: workerTuning(loadConfig({})),
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await workerRun;
      await native.close();
    });

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: ephemeralDataConverter() });
    const ingestMetrics = createMetrics();
    const integrations = new IntegrationStore(db);
    const events = await integrations.create({
      name: 'bench-events',
      kind: 'events-v2',
      service: 'bench',
      ratePerMinute: 1_000_000,
      createdBy: 'bench',
    });
    const ingestApp = buildApp({
      client,
      taskQueue: ingestQueue,
      policy,
      auth: { kind: 'bearer', token: TOKEN },
      metrics: ingestMetrics,
      integrations,
    });
    const ingestBase = await ingestApp.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => ingestApp.close());
    const liveApp = buildApp({ client, taskQueue, policy, auth: { kind: 'bearer', token: TOKEN } });
    const liveBase = await liveApp.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => liveApp.close());

    // The same mix for both: GROUPS distinct groups, then REPEATS more posts spread over them, interleaved.
    const mix = (prefix: string) => {
      const items = Array.from({ length: GROUPS }, (_, i) => payload(`${prefix}-${i}`, `fp-${i}`));
      for (let i = 0; i < REPEATS; i++)
        items.splice(Math.min(items.length, 2 * i + 1), 0, payload(`${prefix}-${i % GROUPS}`, `fp-${i % GROUPS}-r${i}`));
      return items;
    };
    // The same requests without the payload codec: what sealing every payload costs the ceiling.
    const plainClient = new Client({ connection });
    const ceiling = async (prefix: string, via: Client = client) => {
      const items = mix(prefix);
      const t = performance.now();
      await pool(items, CONCURRENCY, async (p) => {
        const group = mapGroup(p, policy, new Date().toISOString());
        await via.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
          workflowId: group.workflowId,
          taskQueue: ingestQueue,
          args: [group.input],
          signal: alertsSignal,
          signalArgs: [group.batch],
          // The same request the webhook makes: memo and search attributes included.
          memo: { title: group.input.title },
          typedSearchAttributes: [
            { key: searchAttributes.severity, value: group.input.severity },
            { key: searchAttributes.service, value: group.input.service },
            { key: searchAttributes.phase, value: 'detect' },
            { key: searchAttributes.status, value: 'open' },
          ],
        });
      });
      return items.length / ((performance.now() - t) / 1000);
    };

    // Warm-up of both paths.
    await ceiling('warm-ceiling');
    await postFromThread(ingestBase, TOKEN, mix('warm-webhook').slice(0, 100), { concurrency: CONCURRENCY });
    const startedBefore = (await ingestMetrics.incidents.get()).values.find((v) => v.labels.outcome === 'started')?.value ?? 0;

    // 1 and 2: ceiling, webhook, ceiling again; the ceiling is the mean of the two runs around the webhook.
    const ceilingA = await ceiling('ceiling-a');
    const ingest = await postFromThread(ingestBase, TOKEN, mix('webhook'), { concurrency: CONCURRENCY });
    // Counted now: the Events API's incidents below count under the same metric.
    const started = ((await ingestMetrics.incidents.get()).values.find((v) => v.labels.outcome === 'started')?.value ?? 0) - startedBefore;
    // The same mix as Events API v2 triggers (a group's key as the dedup key), between the two ceiling runs.
    const asEvents = (items: WebhookPayload[]) =>
      items.map((p) => ({
        routing_key: events.key,
        event_action: 'trigger',
        dedup_key: p.groupKey,
        payload: { summary: p.commonAnnotations.summary, source: p.alerts[0]!.fingerprint, severity: 'critical' },
      }));
    await postFromThread(ingestBase, TOKEN, asEvents(mix('warm-events').slice(0, 100)), { concurrency: CONCURRENCY, route: '/v2/enqueue' });
    const viaEvents = await postFromThread(ingestBase, TOKEN, asEvents(mix('events')), { concurrency: CONCURRENCY, route: '/v2/enqueue' });
    const ceilingB = await ceiling('ceiling-b');
    const ceilingRate = (ceilingA + ceilingB) / 2;
    const unsealedRate = await ceiling('ceiling-unsealed', plainClient);
    // The codec alone: seal and open one incident's start input (its policy included), many times.
    const codec = ephemeralDataConverter().payloadCodecs![0]!;
    const sample = [defaultPayloadConverter.toPayload(mapGroup(payload('codec', 'fp'), policy, new Date().toISOString()).input)];
    const rounds = 2000;
    const tc = performance.now();
    for (let i = 0; i < rounds; i++) await codec.decode(await codec.encode(sample));
    const codecMicros = ((performance.now() - tc) * 1000) / rounds;
    const ingestRate = ingest.results.length / ingest.seconds;
    const latencies = ingest.results.map((r) => r.ms);
    const statuses = new Map<number, number>();
    for (const r of ingest.results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    let lost = 0;
    let duplicates = 0;
    await pool(
      Array.from({ length: GROUPS }, (_, i) => `webhook-${i}`),
      16,
      async (groupKey) => {
        const runs: string[] = [];
        for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowIdForGroup(groupKey)}"` })) runs.push(w.runId);
        if (runs.length === 0) lost++;
        if (runs.length > 1) duplicates += runs.length - 1;
      },
    );

    let eventsLost = 0;
    let eventsDuplicates = 0;
    await pool(
      Array.from({ length: GROUPS }, (_, i) => `events-${i}`),
      16,
      async (dedupKey) => {
        const runs: string[] = [];
        for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowIdForEvent(events, dedupKey)}"` })) runs.push(w.runId);
        if (runs.length === 0) eventsLost++;
        if (runs.length > 1) eventsDuplicates += runs.length - 1;
      },
    );
    const eventsRate = viaEvents.results.length / viaEvents.seconds;
    const eventsAccepted = viaEvents.results.filter((r) => r.status === 202).length;

    // 3. Alert to first page at 10 groups/s (P1), with the worker running.
    const paced = Array.from({ length: 50 }, (_, i) => payload(`paced-${i}`, `pfp-${i}`));
    const pacedRun = await postFromThread(liveBase, TOKEN, paced, { intervalMs: 100 });
    const phonePages = () => {
      // The stand-in stamps Date.now(); pages keeps performance.now().
      for (const r of twilio.requests)
        paged(/(Bench [a-z]+-\d+)/.exec(`${r.Body ?? ''}${r.Twiml ?? ''}`)?.[1], r.receivedAt - performance.timeOrigin);
    };
    const deadline = Date.now() + 60_000;
    while ((phonePages(), paced.some((p) => !pages.has(p.commonAnnotations.summary!))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    phonePages();
    const pageLatencies = paced.flatMap((p, i) => {
      const pagedAt = pages.get(p.commonAnnotations.summary!);
      return pagedAt === undefined ? [] : [pagedAt + performance.timeOrigin - pacedRun.results[i]!.sentAt];
    });

    // 4. Sustained 100 groups/s for 10 s, with the worker running.
    const sustained = await postFromThread(
      liveBase,
      TOKEN,
      Array.from({ length: 1000 }, (_, i) => payload(`sustained-${i}`, `sfp-${i}`, 'warning')),
      { intervalMs: 10 },
    );
    const sustainedAccepted = sustained.results.filter((r) => r.status === 200).length;

    const report = {
      groups: GROUPS,
      repeats: REPEATS,
      concurrency: CONCURRENCY,
      ceiling_signalWithStart_per_s: round(ceilingRate),
      ceiling_runs_per_s: [round(ceilingA), round(ceilingB)],
      ceiling_unsealed_per_s: round(unsealedRate),
      codec_seal_open_us: round(codecMicros),
      codec_payload_bytes: sample[0]!.data!.length,
      webhook_alerts_per_s: round(ingestRate),
      ratio_to_ceiling: round(ingestRate / ceilingRate, 2),
      webhook_status_counts: Object.fromEntries(statuses),
      incidents_started: started,
      duplicates,
      lost,
      webhook_latency_ms: { p50: round(pct(latencies, 50)), p99: round(pct(latencies, 99)) },
      events_v2: {
        per_s: round(eventsRate),
        ratio_to_ceiling: round(eventsRate / ceilingRate, 2),
        accepted: `${eventsAccepted}/${viaEvents.results.length}`,
        lost: eventsLost,
        duplicates: eventsDuplicates,
        latency_ms: {
          p50: round(
            pct(
              viaEvents.results.map((r) => r.ms),
              50,
            ),
          ),
          p99: round(
            pct(
              viaEvents.results.map((r) => r.ms),
              99,
            ),
          ),
        },
      },
      alert_to_first_page_ms_at_10_groups_per_s: {
        paged: `${pageLatencies.length}/${paced.length}`,
        p50: round(pct(pageLatencies, 50)),
        p99: round(pct(pageLatencies, 99)),
      },
      sustained_100_groups_per_s: {
        posted: sustained.results.length,
        accepted: sustainedAccepted,
        lost: sustained.results.length - sustainedAccepted,
        seconds: round(sustained.seconds, 2),
        groups_per_s: round(sustainedAccepted / sustained.seconds),
        latency_ms: {
          p50: round(
            pct(
              sustained.results.map((r) => r.ms),
              50,
            ),
          ),
          p99: round(
            pct(
              sustained.results.map((r) => r.ms),
              99,
            ),
          ),
        },
      },
    };
    return report;
  } finally {
    await bench.close();
  }
}

type Report = Awaited<ReturnType<typeof runOn>>;

async function main() {
  const sqlite = await runOn(true);
  const memory = await runOn(false);
  const rows: [string, (r: Report) => string][] = [
    ['Ceiling: raw signalWithStart (requests/s)', (r) => String(r.ceiling_signalWithStart_per_s)],
    [
      'Ceiling without the payload codec (requests/s); sealed / unsealed',
      (r) => `${r.ceiling_unsealed_per_s}; ${round(r.ceiling_signalWithStart_per_s / r.ceiling_unsealed_per_s, 2)}`,
    ],
    ['Seal + open one incident input (µs, bytes)', (r) => `${r.codec_seal_open_us}, ${r.codec_payload_bytes}`],
    ['Webhook (alerts/s), ratio to the ceiling', (r) => `${r.webhook_alerts_per_s}, ${r.ratio_to_ceiling}`],
    ['Webhook latency p50 / p99 (ms)', (r) => `${r.webhook_latency_ms.p50} / ${r.webhook_latency_ms.p99}`],
    ['Incidents started / lost / duplicates', (r) => `${r.incidents_started} / ${r.lost} / ${r.duplicates}`],
    ['Events API v2 (events/s), ratio to the ceiling', (r) => `${r.events_v2.per_s}, ${r.events_v2.ratio_to_ceiling}`],
    ['Events API v2 latency p50 / p99 (ms)', (r) => `${r.events_v2.latency_ms.p50} / ${r.events_v2.latency_ms.p99}`],
    [
      'Events API v2: 202 accepted; incidents lost / duplicates',
      (r) => `${r.events_v2.accepted}; ${r.events_v2.lost} / ${r.events_v2.duplicates}`,
    ],
    [
      'Alert → first page at 10 groups/s: paged, p50 / p99 (ms)',
      (r) => {
        const f = r.alert_to_first_page_ms_at_10_groups_per_s;
        return `${f.paged}, ${f.p50} / ${f.p99}`;
      },
    ],
    [
      'Sustained 100 groups/s for 10 s: accepted, groups/s',
      (r) =>
        `${r.sustained_100_groups_per_s.accepted}/${r.sustained_100_groups_per_s.posted}, ${r.sustained_100_groups_per_s.groups_per_s}`,
    ],
  ];
  console.log(`\n${GROUPS} groups + ${REPEATS} repeats at concurrency ${CONCURRENCY}; the same machine, one run\n`);
  console.log('| bench:ingest | SQLite file (npm start) | in-memory |\n| --- | --- | --- |');
  for (const [what, value] of rows) console.log(`| ${what} | ${value(sqlite)} | ${value(memory)} |`);
}

main().catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
