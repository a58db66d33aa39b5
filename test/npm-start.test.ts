// `npm start` on a fresh machine, as a new user runs it: its data is private, its embedded database
// shares no default password and serves the application through a role without superuser.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../dev/temporal-cli';
import { waitFor } from './helpers/harness';
import { runCli } from './helpers/cli';

const root = path.resolve(__dirname, '..');
// Like a project folder (0755); only .data inside it is private.
const project = mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
chmodSync(project, 0o755);
const dataDir = path.join(project, '.data');
let child: ChildProcess;
let output = '';
let pgPort: number;
let httpPort: number;
let temporalPortUsed: number;
let uiPortUsed: number;

beforeAll(async () => {
  const [temporalPort, uiPort] = [await freePort(), await freePort()];
  temporalPortUsed = temporalPort;
  uiPortUsed = uiPort;
  pgPort = await freePort();
  httpPort = await freePort();
  // No DATABASE_URL: the embedded PostgreSQL, as on a machine with nothing installed.
  child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'dev/start.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_PORT: String(uiPort),
      EMBEDDED_PG_PORT: String(pgPort),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.on('exit', (code) => (output += `\n[exited ${code}]`));
  await waitFor(() => output.includes('Incident orchestrator is running') || output.includes('[exited'), 'npm start', 120_000);
  if (!output.includes('Incident orchestrator is running')) throw new Error(`npm start failed:\n${output}`);
}, 150_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
}, 60_000);

/** The README's code blocks marked runnable, in order, as a user would paste them. */
function runnableReadme(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- runnable[^>]*-->\n+```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

// First in the file: the README's incident is INC-1 and its action item A-1 on this fresh installation.
test("the README's first incident, run as written in the project folder: every command succeeds", async () => {
  const script = runnableReadme().replaceAll('http://127.0.0.1:3000', `http://127.0.0.1:${httpPort}`);
  expect(script).toContain('npx incidentctl declare');
  // `npx incidentctl` is this checkout's CLI (the project folder here is a scratch one beside it).
  const shim = `npx() { if [ "$1" = incidentctl ]; then shift; node ${JSON.stringify(path.join(root, 'bin/incidentctl.js'))} "$@"; else command npx "$@"; fi; }`;
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      ['-c', `${shim}\nset -euo pipefail -x\n${script}`],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: `127.0.0.1:${temporalPortUsed}`,
          TEMPORAL_UI_PORT: String(uiPortUsed),
        },
        timeout: 180_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toContain('INC-1 declared [P1] API 5xx spike');
  expect(run.stdout).toMatch(
    /INC-1 .* email to engineer-[a-d] .* sent\n {2}\[P1\] INC-1: API 5xx spike \(page: On-call engineer\)\n {2}acknowledge: http/,
  );
  expect(run.stdout).toContain('acknowledged by Incident Commander (token)');
  expect(run.stdout).toContain('A-1 done');
  expect(readFileSync(path.join(project, 'INC-1.md'), 'utf8')).toContain('# Post-Incident Review: API 5xx spike');
}, 240_000);

const mode = (file: string) => statSync(file).mode & 0o777;

test('without Slack settings, npm start says Slack is off', () => {
  expect(output).toContain('Slack:           off (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set)');
});

test('the data folder and every file npm start writes there are private', () => {
  expect([0o700, 0o710]).toContain(mode(dataDir));
  const files = readdirSync(dataDir, { withFileTypes: true }).filter((e) => e.isFile());
  expect(files.map((f) => f.name)).toEqual(
    expect.arrayContaining([
      'temporal.sqlite',
      'temporal.log',
      'webhook-token',
      'ack-link-secret',
      'metrics-token',
      'identity-secret',
      'postgres-credentials.json',
      'payload-keys',
      'codec-token',
      'approval-signing-key',
      'approval-verify-key',
    ]),
  );
  for (const file of files) {
    // SQLite's journal comes and goes with each transaction: one gone since the listing is no file left open.
    let fileMode: number | undefined;
    try {
      fileMode = mode(path.join(dataDir, file.name));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT' && file.name.endsWith('-journal')) continue;
      throw error;
    }
    expect([file.name, fileMode]).toEqual([file.name, 0o600]);
  }
});

test('the embedded PostgreSQL refuses the old shared password, listens on loopback only, and the store is no superuser', async () => {
  const tryLogin = async (user: string, password: string, host = '127.0.0.1') => {
    const client = new Client({ host, port: pgPort, user, password, database: 'incidents', connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      return client;
    } catch (error) {
      return error as Error & { code?: string };
    }
  };
  const refused = await tryLogin('incidents', 'incidents');
  expect(refused).toBeInstanceOf(Error);
  expect((refused as { code?: string }).code).toBe('28P01');

  const credentials = JSON.parse(readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as Record<string, string>;
  const store = await tryLogin('incident_app', credentials.app!);
  expect(store).toBeInstanceOf(Client);
  const { rows } = await (store as Client).query<{ rolsuper: boolean; tables: string }>(
    `SELECT rolsuper, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS tables
       FROM pg_roles WHERE rolname = current_user`,
  );
  await (store as Client).end();
  expect(rows[0]!.rolsuper).toBe(false);
  // The store's tables (migrated at start) belong to the application's role.
  expect(Number(rows[0]!.tables)).toBeGreaterThan(5);

  const other = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (other) expect(await tryLogin('incident_app', credentials.app!, other)).toMatchObject({ code: 'ECONNREFUSED' });
});

test('/metrics wants the generated token', async () => {
  expect((await fetch(`http://127.0.0.1:${httpPort}/metrics`)).status).toBe(401);
  const token = readFileSync(path.join(dataDir, 'metrics-token'), 'utf8').trim();
  const scraped = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(scraped.status).toBe(200);
});

test('a new user sees their page: `incidentctl inbox` shows it as mailed, with a link to the incident and an acknowledge link on the port served that works', async () => {
  const operator = { TEMPORAL_ADDRESS: `127.0.0.1:${temporalPortUsed}`, DATA_DIR: dataDir, PAYLOAD_KEYS: '' };
  const declared = await runCli(operator, 'declare', '--title', 'Checkout errors', '--severity', 'P2', '--service', 'checkout', '--json');
  const id = (JSON.parse(declared.stdout) as { incidentId: string }).incidentId;
  type Message = { kind: string; channel: string; status: string; ackUrl?: string; body?: string; reason?: string };
  const inbox = async () => JSON.parse((await runCli(operator, 'inbox', id, '--json')).stdout) as Message[];
  const page = await waitFor(async () => (await inbox()).find((m) => m.kind === 'page' && m.channel === 'email'), 'the page in the inbox');
  // Mailed through npm start's own mail server, as SMTP would in production; SMS waits in the outbox, with its link.
  expect(page.status).toBe('sent');
  expect(page.ackUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${httpPort}/ack/`));
  expect(page.body).toContain(page.ackUrl);
  expect(page.body).toMatch(
    new RegExp(`Incident: http://127\\.0\\.0\\.1:${uiPortUsed}/namespaces/default/workflows/incident-checkout-errors-`),
  );
  expect((await inbox()).find((m) => m.channel === 'sms')).toMatchObject({
    status: 'outbox',
    reason: 'no Twilio credentials configured',
    ackUrl: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${httpPort}/ack/`)) as string,
  });
  expect(output).toMatch(/mail to .*: \[P2\] INC-\d+: Checkout errors \(page: On-call engineer\)/);

  const opened = await fetch(page.ackUrl!);
  const confirm = /name="confirm" value="([^"]+)"/.exec(await opened.text())?.[1];
  const acked = await fetch(page.ackUrl!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ confirm: confirm ?? '' }).toString(),
  });
  expect(acked.status).toBe(200);
  const shown = await runCli(operator, 'show', id);
  expect(shown.stdout).toMatch(/acknowledged by Engineer [A-D] \(ack-link\)/);
  // Quiet, useful logs: no bundler listing; a kept message is one line, not an inspected object.
  expect(output).not.toMatch(/modules by path|orphan modules|webpack/i);
  expect(output).toMatch(
    /WARN +sms to engineer-[a-d] kept in the outbox \(no Twilio credentials configured\): \[P2\] INC-\d+: Checkout errors/,
  );
  expect(output).not.toMatch(/^\s+(workflowId|activityId|taskQueue|sdkComponent):/m);
  // Nothing ran on this machine: npm start serves no runbook host unless asked, and no runbook attached itself.
  expect(output).toContain('no commands run on this machine (set RUNBOOK_HOST=local');
  expect(shown.stdout).not.toMatch(/ runbook /);
});

test('a killed embedded PostgreSQL is started again, and npm start keeps running', async () => {
  const credentials = JSON.parse(readFileSync(path.join(dataDir, 'postgres-credentials.json'), 'utf8')) as Record<string, string>;
  const postmaster = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(postmaster, 'SIGKILL');
  await waitFor(
    async () => {
      const client = new Client({
        host: '127.0.0.1',
        port: pgPort,
        user: 'incident_app',
        password: credentials.app!,
        database: 'incidents',
      });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        return false;
      }
    },
    'PostgreSQL to be back',
    30_000,
  );
  expect(child.exitCode).toBeNull();
  expect(output).toContain('The embedded PostgreSQL is back');
});
