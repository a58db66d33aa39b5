/**
 * The cluster's smoke test (`npm run cluster -- --smoke`, run by CI): an alert through the second HTTP
 * server opens an incident; a worker is SIGKILLed mid-escalation (and started again, as a supervisor
 * would); the next level is paged once; the page's link acknowledges through the second HTTP server;
 * incidentctl resolves with a personal token through the second HTTP server's API. Prints a table and says whether anything was lost or duplicated.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import path from 'node:path';
import { run } from '../client/cli/main';
import { firingPayload } from './alert-payload';
import defaultPolicy from '../policy/default-policy.json';
import type { Cluster } from './cluster';
import { pagesSoonerThan, waitFor } from './probes';
import type { TestSmtp } from './smtp-sink';

/** The shipped policy with seconds for minutes, email only, no runbooks: a smoke test fits in a minute. */
export function writeSmokePolicy(dir: string): string {
  const p = JSON.parse(JSON.stringify(defaultPolicy)) as typeof defaultPolicy & Record<string, unknown>;
  for (const s of Object.values(p.severities) as { ackSla: string; channels?: string[] }[]) s.channels = ['email'];
  p.severities.P1.ackSla = '5s';
  p.escalation.levels = p.escalation.levels.map((level, i) => ({ ...level, after: `${i * 5}s` }));
  p.escalation.repeat = { times: 1, interval: '8s' };
  (p.runbooks as { definitions: unknown[] }).definitions = [];
  const file = path.join(dir, 'smoke-policy.json');
  writeFileSync(file, JSON.stringify(p, null, 2));
  return file;
}

export async function runClusterSmoke(
  cluster: Cluster,
  o: { smtp: TestSmtp; httpPorts: [number, number]; webhookToken: string; dataDir: string; publicUrl?: string },
): Promise<boolean> {
  const second = `http://127.0.0.1:${o.httpPorts[1]}`;
  const rows: [string, string, boolean][] = [];
  const group = `cluster-smoke-${Date.now()}`;
  const labels = { alertname: 'ClusterSmoke', severity: 'critical', service: 'smoke', group };
  const payload = firingPayload({
    groupKey: `{}:{alertname="ClusterSmoke",group="${group}"}`,
    receiver: 'incidents',
    groupLabels: { alertname: 'ClusterSmoke', group },
    labels,
    summary: 'Cluster smoke test',
    fingerprint: group.slice(-16),
    generatorURL: 'http://prometheus.invalid',
  });
  const posted = await fetch(`${second}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.webhookToken}` },
    body: JSON.stringify(payload),
  });
  rows.push(['Alert accepted by the second HTTP server', String(posted.status), posted.status === 200]);

  const pages = (id: string) => o.smtp.mails.filter((m) => m.subject.includes(`${id}:`) && m.subject.includes('(page:'));
  const first = await waitFor('the on-call page', () =>
    o.smtp.mails.find((m) => m.subject.includes('(page: On-call engineer)') && m.text.includes('Cluster smoke test')),
  );
  const id = /INC-\d+/.exec(first.subject)![0];
  rows.push(['Incident opened, on-call paged', id, true]);

  // Mid-escalation: one incident worker dies; the other serves, and the dead one comes back.
  cluster.processes.get('worker-1')!.kill('SIGKILL');
  setTimeout(() => cluster.restart('worker-1'), 2000);
  const lead = await waitFor('the engineering lead page', () => pages(id).find((m) => m.subject.includes('(page: Engineering lead)')));
  rows.push(['Engineering lead paged after a worker was SIGKILLed', lead.to.join(', '), true]);

  const link = /https?:\/\/\S+\/ack\/\S+/.exec(lead.text)?.[0];
  // Links point where the cluster serves (its first HTTP server, or PUBLIC_URL), never at a port nothing listens on.
  const origin = link ? new URL(link).origin : 'no link';
  rows.push([
    "The page's acknowledge link points at a server of the cluster",
    origin,
    origin === (o.publicUrl ?? `http://127.0.0.1:${o.httpPorts[0]}`),
  ]);
  const local = link && `${second}${new URL(link).pathname}`;
  const opened = local ? await fetch(local) : undefined;
  const confirm = opened ? /name="confirm" value="([^"]+)"/.exec(await opened.text())?.[1] : undefined;
  const acked = local
    ? await fetch(local, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ confirm: confirm ?? '' }).toString(),
      })
    : undefined;
  const ackedAt = Date.now();
  rows.push(['Acknowledged from the page link, through the second HTTP server', String(acked?.status ?? 'no link'), acked?.status === 200]);

  // Resolving a P1 needs a verified person: the commander (an admin) takes the first token with the
  // one-time code an HTTP server wrote into the data folder, and resolves through the second server's API.
  const cli = async (env: Record<string, string>, ...args: string[]) => {
    let out = '';
    const code = await run(['node', 'incidentctl', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: cluster.address, ...env },
      stdout: (t) => void (out += t),
      stderr: (t) => void (out += t),
    });
    return { code, out };
  };
  const codeFile = path.join(o.dataDir, 'admin-bootstrap-code');
  for (let i = 0; i < 100 && !existsSync(codeFile); i++) await new Promise((r) => setTimeout(r, 200));
  const created = await cli({ INCIDENT_API_URL: second }, 'token', 'bootstrap', '--for', 'ic', '--code-file', codeFile, '--json');
  const token = created.code === 0 ? (JSON.parse(created.out) as { token: string }).token : '';
  const resolved = await cli(
    { INCIDENT_API_URL: second, INCIDENT_TOKEN: token },
    'resolve',
    id,
    '--root-cause',
    'smoke',
    '--resolution',
    'smoke',
  );
  const verified = resolved.code === 0 && resolved.out.includes('(token)');
  rows.push([
    'Resolved with incidentctl and a personal token, through the second HTTP server',
    verified ? 'exit 0, verified (token)' : `exit ${created.code}/${resolved.code}: ${(created.out + resolved.out).trim()}`,
    verified,
  ]);

  // Past the next levels (CTO at 10 s, repeat at 18 s): nothing more may arrive, and nothing twice.
  await new Promise((r) => setTimeout(r, 12_000));
  const all = pages(id);
  // A duplicate is the same person paged again for the incident sooner than the repeat interval (8 s);
  // a repeat after it, or a catch-up after a stall, is the plan. Like the drill's count.
  const duplicates = pagesSoonerThan(all, (to) => to, 6_000);
  const late = all.filter((m) => m.receivedAt > ackedAt).length;
  rows.push(['Duplicate pages (same person within 6 s; repeats come every 8 s)', String(duplicates), duplicates === 0]);
  rows.push(['Pages after the acknowledgement', String(late), late === 0]);

  console.log('\n| Cluster smoke | Result | |\n| --- | --- | --- |');
  for (const [what, value, ok] of rows) console.log(`| ${what} | ${value} | ${ok ? 'ok' : 'FAILED'} |`);
  const ok = rows.every(([, , good]) => good);
  console.log(ok ? '\ncluster smoke: passed' : '\ncluster smoke: FAILED');
  return ok;
}

/**
 * The smoke test bootstraps the first admin as on a new installation: on a database kept from an
 * earlier run (CLUSTER_DATABASE_URL), the tokens that run made are revoked first, so the HTTP servers
 * offer a bootstrap code again. Nothing to do on a new database.
 */
export async function revokeEarlierSmokeTokens(adminUrl: string, storeDatabase = 'incident_store'): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${storeDatabase}`;
  const client = new Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query('UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL');
    await client.query('DELETE FROM admin_bootstrap');
  } catch (error) {
    // 3D000: no such database yet; 42P01: its tables are not made yet. Either way there is no token.
    if (!['3D000', '42P01'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
