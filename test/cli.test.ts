import { spawn } from 'node:child_process';
import path from 'node:path';
import { ExitCode } from '../client/failures';
import { ErrorType, addNoteUpdate, type IncidentState } from '../contract';
import { runCli, runCliBinary } from './helpers/cli';
import { useIncidentHarness, waitFor } from './helpers/harness';

const h = useIncidentHarness({ name: 'cli', smtp: false });
const { taskQueue } = h;

const cliEnv = () => ({ TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: taskQueue });
/** incidentctl in this process through run(argv): the same program, parser and error handler. */
const cli = (...args: string[]) => runCli(cliEnv(), ...args);
/** The real binary, as a user runs it: smoke tests of the entry point. */
const binary = (...args: string[]) => runCliBinary(cliEnv(), ...args);

test('declare, ack, note, advance, show, list and resolve through incidentctl', async () => {
  const declared = await binary(
    'declare',
    '--title',
    'Auth partially down',
    '--severity',
    'p1',
    '--service',
    'auth',
    '--as',
    'carol',
    '--json',
  );
  expect(declared).toMatchObject({ code: 0 });
  const { incidentId } = JSON.parse(declared.stdout) as { incidentId: string };
  expect(incidentId).toMatch(/^INC-\d+$/);

  expect((await cli('ack', incidentId, '--as', 'dave')).code).toBe(0);
  expect((await cli('note', incidentId, 'login', 'errors', 'from', 'eu-west', '--as', 'dave')).code).toBe(0);
  // A commander is a contact: a typo is refused with the list, unless forced.
  expect(await cli('commander', incidentId, 'icc', '--as', 'dave')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('"icc" is not a contact in the policy (contacts: ic, eng-lead,'),
  });
  expect((await cli('commander', incidentId, 'ic', '--as', 'dave')).code).toBe(0);
  const advanced = await cli('advance', incidentId, '--as', 'dave');
  expect(advanced.stdout).toContain('is in phase triage');

  // list reads Temporal's visibility, which follows the workflow a moment later.
  const listed = await waitFor(async () => {
    const rows = JSON.parse((await cli('list', '--severity', 'P1', '--service', 'auth', '--json')).stdout) as {
      incidentId: string;
      phase: string;
    }[];
    return rows.find((r) => r.incidentId === incidentId && r.phase === 'triage');
  }, 'the list to show the new phase');
  expect(listed).toMatchObject({ incidentId, severity: 'P1', phase: 'triage', status: 'acknowledged', title: 'Auth partially down' });

  const shown = JSON.parse((await cli('show', incidentId, '--json')).stdout) as IncidentState;
  expect(shown.declaredBy).toBe('carol');
  expect(shown.acknowledgedBy).toBe('dave');
  expect(shown.timeline).toContainEqual(expect.objectContaining({ kind: 'note', actor: 'dave', text: 'login errors from eu-west' }));

  const resolved = await cli('resolve', incidentId, '--root-cause', 'bad config push', '--resolution', 'reverted', '--as', 'dave');
  expect(resolved.code).toBe(0);
  const human = await cli('show', incidentId);
  expect(human.stdout).toContain('root cause: bad config push');
  // A resolved incident accepts no changes, with a clear message and the "rejected" exit code.
  const late = await cli('ack', incidentId, '--json');
  expect(late.code).toBe(ExitCode.Rejected);
  expect(JSON.parse(late.stderr)).toMatchObject({ type: ErrorType.IncidentResolved });
  expect(late.stderr).toContain('resolved');

  // The report is computed in SQL by the worker; the CLI needs only Temporal.
  const report = await cli('report', '--since', '1d', '--json');
  expect(report.code).toBe(0);
  const p1 = (
    JSON.parse(report.stdout) as { severities: { severity: string; incidents: number; mttaSeconds: { p50: number } }[] }
  ).severities.find((r) => r.severity === 'P1')!;
  expect(p1.incidents).toBeGreaterThanOrEqual(1);
  expect(p1.mttaSeconds.p50).toBeGreaterThanOrEqual(0);
  expect((await cli('report', '--since', 'forever')).code).toBe(ExitCode.InvalidInput);
});

test('error paths get clear messages and distinct exit codes, and change nothing', async () => {
  const declared = await cli('declare', '--title', 'Queue backlog', '--severity', 'P2', '--service', 'jobs', '--json');
  const { incidentId } = JSON.parse(declared.stdout) as { incidentId: string };
  await cli('ack', incidentId, '--as', 'erin');
  const before = JSON.parse((await cli('show', incidentId, '--json')).stdout) as IncidentState;

  const unknown = await cli('show', 'INC-999999');
  expect(unknown.code).toBe(ExitCode.NotFound);
  expect(unknown.stderr).toContain('no incident INC-999999');

  const twice = await cli('ack', incidentId, '--as', 'frank');
  expect(twice.code).toBe(ExitCode.Rejected);
  expect(twice.stderr).toContain('already acknowledged by erin');

  const badSeverity = await cli('severity', incidentId, 'P9');
  expect(badSeverity.code).toBe(ExitCode.InvalidInput);
  expect(badSeverity.stderr).toContain('<severity>: must be one of P0, P1, P2, P3');

  const emptyNote = await cli('note', incidentId, '   ');
  expect(emptyNote.code).toBe(ExitCode.InvalidInput);
  expect(emptyNote.stderr).toContain('note must not be empty');

  const backwards = await cli('advance', incidentId, '--to', 'detect');
  expect(backwards.code).toBe(ExitCode.Rejected);
  expect(backwards.stderr).toContain('phases only move forward');

  const missing = await cli('resolve', incidentId, '--root-cause', 'x');
  expect(missing.code).toBe(ExitCode.InvalidInput);
  expect(missing.stderr).toContain("required option '--resolution <text>' not specified");

  const unreachable = await binary('ack', incidentId, '--address', '127.0.0.1:1');
  expect(unreachable.code).toBe(ExitCode.Unavailable);
  expect(unreachable.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');

  // A name with a newline could forge a timeline line: refused by the CLI, and by the workflow itself.
  const forged = await cli('note', incidentId, 'ok', '--as', 'erin\n2026-11-27 resolved by ceo');
  expect(forged.code).toBe(ExitCode.InvalidInput);
  expect(forged.stderr).toContain('--as must be one line without control characters');
  const { rows } = await h.env.pool.query<{ workflow_id: string }>('SELECT workflow_id FROM incidents WHERE incident_id = $1', [
    incidentId,
  ]);
  const handle = h.env.client.workflow.getHandle(rows[0]!.workflow_id);
  await expect(handle.executeUpdate(addNoteUpdate, { args: [{ by: 'erin\rroot', text: 'x' }] })).rejects.toMatchObject({
    cause: { type: ErrorType.InvalidInput, message: 'by must be one line without control characters' },
  });

  const after = JSON.parse((await cli('show', incidentId, '--json')).stdout) as IncidentState;
  expect(after.timeline.map((e) => e.seq)).toEqual(before.timeline.map((e) => e.seq));
  expect(after.severity).toBe('P2');
  expect(after.phase).toBe('detect');
});

test('it behaves like the CLIs people know: --version, global flags in every help, completion, one-line connection errors', async () => {
  expect(await binary('--version')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  const help = await cli('ack', '--help');
  expect(help.stdout).toContain('Global Options:');
  expect(help.stdout).toMatch(/--json\s+machine-readable output/);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const script = await cli('completion', shell);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('resolve');
    expect(script.stdout).toContain('root-cause');
  }
  expect(await cli('completion', 'tcsh')).toMatchObject({ code: ExitCode.InvalidInput });
  // An AGE column, newest first, and no colour codes when the output is not a terminal.
  const table = await cli('list', '--all');
  expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+SEV\s+STATUS\s+PHASE\s+SERVICE\s+AGE\s+TITLE$/);
  expect(table.stdout).not.toContain('\x1b[');

  const refused = await cli('list', '--address', '127.0.0.1:1');
  expect(refused).toMatchObject({
    code: ExitCode.Unavailable,
    stderr: expect.stringMatching(/^incidentctl: cannot reach the Temporal server at 127\.0\.0\.1:1/),
  });
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  const namespace = await cli('list', '--namespace', 'no-such-namespace');
  expect(namespace).toMatchObject({
    code: ExitCode.NotFound,
    stderr: 'incidentctl: no namespace "no-such-namespace" on the Temporal server at ' + h.env.address + '\n',
  });
});

test('show --watch prints the incident again when it changes, and ends with its resolution', async () => {
  const declared = await cli('declare', '--title', 'Watched incident', '--severity', 'P3', '--service', 'web', '--json');
  const { incidentId } = JSON.parse(declared.stdout) as { incidentId: string };
  const watcher = spawn(process.execPath, [path.resolve(__dirname, '../bin/incidentctl.js'), 'show', incidentId, '--watch', '0.3'], {
    env: { ...process.env, ...cliEnv() },
  });
  let out = '';
  watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
  try {
    await waitFor(() => out.includes(`${incidentId}  [P3] Watched incident`), 'the first frame');
    expect((await cli('note', incidentId, 'watching', 'this', '--as', 'erin')).code).toBe(0);
    await waitFor(() => out.includes('watching this'), 'a frame with the note');
    expect((await cli('resolve', incidentId, '--root-cause', 'x', '--resolution', 'y', '--as', 'erin')).code).toBe(0);
    expect(await exited).toBe(0);
    expect(out.split(`${incidentId}  [P3] Watched incident`).length - 1).toBeGreaterThanOrEqual(3);
  } finally {
    watcher.kill();
  }
});
