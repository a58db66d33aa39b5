import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { Client } from 'pg';
import { ErrorType, type StepOutcome } from '../workflows/definitions';
import { OUTPUT_CAP_BYTES, runProcess } from './run-process';
import { redactor } from './redact';

/** The fixed PATH commands see; the allowlist is resolved against it once, at worker start. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Sessions of the orchestrator itself: a terminate step never ends them. */
export const PROTECTED_APPLICATION_PREFIX = 'incident-orchestrator';

export interface RunbookDeps {
  /** The host this worker serves, e.g. "local" or "db-1". */
  host: string;
  /** Allowed executable name -> absolute path (resolved at start); nothing else runs. */
  executables: Record<string, string>;
  /** Allowed names not installed on this host, with where they were looked for. */
  missing?: Record<string, string>;
  /** Secret environment values given to commands and redacted from their output. */
  secrets: Record<string, string>;
  /** Named databases for sql steps: name -> connection URL. */
  databases: Record<string, string>;
}

/** What the host worker saw; the workflow keeps all but the output, which goes to the evidence table. */
export interface StepResult extends Omit<StepOutcome, 'evidenceId'> {
  stdout: string;
  stderr: string;
}

interface StepInput {
  incidentId: string;
  ref: string;
  timeoutMs: number;
}

const refuse = (message: string) => ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);
const headlineOf = (text: string) =>
  (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  )
    .replace(/\s+/g, ' ')
    .slice(0, 160);

export function createRunbookActivities(deps: RunbookDeps) {
  const redact = redactor(Object.values(deps.secrets));

  /** Heartbeats while `work` runs; a cancellation (incident cancelled, step rejected) aborts it. */
  const withHeartbeat = async <T>(work: (signal: AbortSignal, progress: (bytes: number) => void) => Promise<T>): Promise<T> => {
    const ctx = Context.current();
    let bytes = 0;
    ctx.heartbeat({ bytes });
    const beat = setInterval(() => ctx.heartbeat({ bytes }), 1000);
    try {
      return await work(ctx.cancellationSignal, (b) => (bytes = b));
    } finally {
      clearInterval(beat);
    }
  };

  return {
    async runShellStep(input: StepInput & { argv: string[] }): Promise<StepResult> {
      const [name, ...args] = input.argv;
      // The workflow validated every value already; this worker trusts nothing it did not check itself.
      if (name && deps.missing && Object.hasOwn(deps.missing, name))
        throw refuse(`${name} is not installed on host ${deps.host} (looked for ${deps.missing[name]})`);
      if (!name || !Object.hasOwn(deps.executables, name))
        throw refuse(`"${name}" is not an allowed executable on host ${deps.host}; allowed: ${Object.keys(deps.executables).join(', ')}`);
      for (const arg of args) {
        if (arg.includes('\0') || arg.length > 4096) throw refuse(`${input.ref}: an argument contains NUL or is too long`);
      }
      const env: Record<string, string> = { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...deps.secrets };
      const result = await withHeartbeat((signal, progress) =>
        runProcess({ file: deps.executables[name]!, args, env, timeoutMs: input.timeoutMs, signal, onProgress: progress }).catch(
          (error: NodeJS.ErrnoException) => {
            throw ApplicationFailure.nonRetryable(
              `cannot start ${deps.executables[name]} on host ${deps.host}: ${error.code ?? error.message}`,
              ErrorType.InvalidInput,
            );
          },
        ),
      );
      if (result.cancelled) throw new CancelledFailure(`${input.ref} was cancelled; its process group was killed`);
      const stdout = redact(result.stdout);
      const stderr = redact(result.stderr);
      return {
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        host: deps.host,
        workerPid: process.pid,
        stdout,
        stderr,
        stdoutBytes: result.stdoutBytes,
        stderrBytes: result.stderrBytes,
        truncated: result.truncated,
        headline: headlineOf(stdout) || headlineOf(stderr),
      };
    },

    async runSqlStep(
      input: StepInput & { database: string; sql: string; args: string[]; action: 'query' | 'terminate-backends' },
    ): Promise<StepResult> {
      const url = deps.databases[input.database];
      if (!url)
        throw refuse(
          `host ${deps.host} knows no database "${input.database}" (set RUNBOOK_DB_${input.database.toUpperCase().replace(/-/g, '_')})`,
        );
      const started = Date.now();
      const db = new Client({
        connectionString: url,
        application_name: `${PROTECTED_APPLICATION_PREFIX}-runbook`,
        statement_timeout: input.timeoutMs,
        connectionTimeoutMillis: 10_000,
      });
      const work = async (signal: AbortSignal) => {
        await db.connect();
        // The busy connection cannot cancel itself; a second one does.
        const onAbort = () => {
          const canceller = new Client({ connectionString: url, application_name: `${PROTECTED_APPLICATION_PREFIX}-runbook` });
          void canceller
            .connect()
            .then(() => canceller.query('SELECT pg_cancel_backend($1)', [(db as unknown as { processID: number }).processID]))
            .catch(() => undefined)
            .finally(() => void canceller.end().catch(() => undefined));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          // Diagnostics, and the selection of sessions to end, read in a read-only transaction.
          await db.query('BEGIN TRANSACTION READ ONLY');
          await db.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(input.timeoutMs))}`);
          const selected = await db.query({ text: input.sql, values: input.args, rowMode: 'array' });
          await db.query('COMMIT');
          if (input.action === 'query') {
            return {
              text: formatRows(
                selected.fields.map((f) => f.name),
                selected.rows as unknown[][],
              ),
              terminated: undefined,
            };
          }
          return terminate(db, selected);
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      };
      try {
        const { text, terminated } = await withHeartbeat((signal) => work(signal));
        const stdout = redact(text);
        return {
          exitCode: 0,
          timedOut: false,
          durationMs: Date.now() - started,
          host: deps.host,
          workerPid: process.pid,
          stdout: clip(stdout),
          stderr: '',
          stdoutBytes: Buffer.byteLength(stdout),
          stderrBytes: 0,
          truncated: Buffer.byteLength(stdout) > OUTPUT_CAP_BYTES,
          headline: terminated ? `ended ${terminated.length} sessions` : headlineOf(stdout.split('\n')[2] ?? ''),
          terminated,
        };
      } catch (error) {
        const e = error as Error & { code?: string };
        if (e instanceof ApplicationFailure || e instanceof CancelledFailure) throw e;
        if (Context.current().cancellationSignal.aborted) throw new CancelledFailure(`${input.ref} was cancelled`);
        const stderr = redact(`${e.code ? `${e.code}: ` : ''}${e.message}`);
        // A failing statement is evidence (exit 1), like a command that fails; it is never retried.
        return {
          exitCode: 1,
          timedOut: e.code === '57014',
          durationMs: Date.now() - started,
          host: deps.host,
          workerPid: process.pid,
          stdout: '',
          stderr,
          stdoutBytes: 0,
          stderrBytes: Buffer.byteLength(stderr),
          truncated: false,
          headline: headlineOf(stderr),
        };
      } finally {
        await db.end().catch(() => undefined);
      }
    },
  };
}

/** Ends the selected sessions, except this connection and the orchestrator's own. */
async function terminate(db: Client, selected: { fields: { name: string }[]; rows: unknown[] }) {
  const pidColumn = selected.fields.findIndex((f) => f.name === 'pid');
  if (pidColumn < 0) throw refuse('a terminate-backends query must select a "pid" column');
  const candidates = [...new Set((selected.rows as unknown[][]).map((r) => Number(r[pidColumn])).filter(Number.isInteger))];
  const { rows: protectedRows } = await db.query<{ pid: number; why: string }>(
    `SELECT pid, CASE WHEN pid = pg_backend_pid() THEN 'this runbook connection' ELSE 'orchestrator: ' || application_name END AS why
       FROM pg_stat_activity
      WHERE pid = ANY($1::int[]) AND (pid = pg_backend_pid() OR application_name LIKE $2)`,
    [candidates, `${PROTECTED_APPLICATION_PREFIX}%`],
  );
  const spared = new Set(protectedRows.map((r) => r.pid));
  const targets = candidates.filter((pid) => !spared.has(pid));
  const { rows } = await db.query<{ pid: number; usename: string; application_name: string; terminated: boolean }>(
    `SELECT a.pid, a.usename, a.application_name, pg_terminate_backend(a.pid) AS terminated
       FROM pg_stat_activity a WHERE a.pid = ANY($1::int[]) ORDER BY a.pid`,
    [targets],
  );
  const lines = [
    `selected ${candidates.length} sessions; spared ${protectedRows.length}; terminated ${rows.filter((r) => r.terminated).length}`,
    ...protectedRows.map((r) => `spared ${r.pid} (${r.why})`),
    ...rows.map((r) => `${r.terminated ? 'terminated' : 'not terminated'} ${r.pid} ${r.usename} ${r.application_name}`),
  ];
  return { text: lines.join('\n'), terminated: rows.filter((r) => r.terminated).map((r) => r.pid) };
}

function formatRows(columns: string[], rows: unknown[][]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    // Intervals come back as objects that know their own text form.
    const pg = v as { toPostgres?: () => string };
    if (typeof pg.toPostgres === 'function') return pg.toPostgres();
    if (typeof v === 'object') return JSON.stringify(v);
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  const lines = [columns.join('\t'), columns.map((c) => '-'.repeat(Math.max(c.length, 1))).join('\t')];
  for (const row of rows) lines.push(row.map(cell).join('\t').replace(/\n/g, ' '));
  lines.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}

const clip = (text: string) => Buffer.from(text).subarray(0, OUTPUT_CAP_BYTES).toString('utf8');
