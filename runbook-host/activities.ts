import type { KeyObject } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { grantProblem } from '../security/approval-grant';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { Client, type QueryArrayConfig } from 'pg';
import { checkParam } from '../policy/runbook-params';
import type { RunbookPolicy } from '../policy/runbook-schema';
import { ErrorType, type StepPlan, type StepRequest, type StepResult } from '../contract';
import { describeCommand, planStep, stepPlaceholders } from '../policy/runbook-plan';
import { OUTPUT_CAP_BYTES, runProcess } from './run-process';
import { redactionMargin, redactor } from './redact';

/** The fixed PATH commands see; the allowlist is resolved against it once, at worker start. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Sessions of the orchestrator itself: a terminate step never ends them. */
export const PROTECTED_APPLICATION_PREFIX = 'incident-orchestrator';

/** Where a host's sql steps connect for one named database: a role for each kind of step. */
export interface DatabaseUrls {
  /** Diagnostics: a role with pg_monitor and nothing that writes or signals (RUNBOOK_DB_<NAME>). */
  query?: string;
  /** terminate-backends: a role with pg_signal_backend (RUNBOOK_TERMINATE_DB_<NAME>). */
  terminate?: string;
}

export interface RunbookDeps {
  /** The host this worker serves, e.g. "local" or "db-1". */
  host: string;
  /** The host's own runbooks, loaded by the host itself: the only steps it will run. */
  runbooks: RunbookPolicy;
  /** Allowed executable name -> absolute path (resolved at start); nothing else runs. */
  executables: Record<string, string>;
  /** Allowed names not installed on this host, with where they were looked for. */
  missing?: Record<string, string>;
  /** Secret environment values given to commands and redacted from their output. */
  secrets: Record<string, string>;
  /** Named databases for sql steps. */
  databases: Record<string, DatabaseUrls>;
  /** The public half of the approval key (APPROVAL_VERIFY_KEY): without it, no gated step runs here. */
  approvalKey?: KeyObject;
  log?: (line: string) => void;
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

/** The environment variable that names a database URL for a kind of sql step. */
export const databaseVariable = (database: string, action: 'query' | 'terminate-backends') =>
  `RUNBOOK_${action === 'query' ? '' : 'TERMINATE_'}DB_${database.toUpperCase().replace(/-/g, '_')}`;

const BUILTIN_CHECKS: Record<string, (value: string, request: StepRequest) => string | undefined> = {
  incident_id: (v, r) => (v === r.incidentId && /^INC-[1-9]\d{0,8}$/.test(v) ? undefined : "is not the incident's id"),
  today: (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? undefined : 'is not a date'),
};

/** A path value must stay under its prefixes once symbolic links are followed. */
async function checkRealPath(value: string, prefixes: string[]): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(value);
  } catch (error) {
    return `does not exist on this host (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
  const roots = await Promise.all(prefixes.map((p) => realpath(p).catch(() => p)));
  const under = roots.some((root) => root === '/' || real === root || real.startsWith(root.endsWith('/') ? root : `${root}/`));
  return under ? undefined : `resolves to ${real}, outside ${prefixes.join(', ')}`;
}

/**
 * The step the request names, planned again from this host's own policy with values checked against
 * its own declarations. Anything it cannot vouch for is refused before a process or session starts.
 */
export async function planOnHost(deps: Pick<RunbookDeps, 'host' | 'runbooks'>, request: StepRequest): Promise<StepPlan> {
  const ref = `${request.runbook}/${request.step}`;
  const def = deps.runbooks.definitions.find((d) => d.id === request.runbook);
  const step = def?.steps.find((s) => s.id === request.step);
  if (!def || !step) throw refuse(`host ${deps.host} has no runbook step ${ref} in its own policy: nothing was run`);
  if (step.kind === 'notify') throw refuse(`${ref} is a notify step: hosts run only shell and sql steps`);
  const used = stepPlaceholders(step);
  const given = request.params ?? {};
  const extra = Object.keys(given).filter((name) => !used.includes(name));
  if (extra.length) throw refuse(`${ref} takes no parameter ${extra.map((n) => `{${n}}`).join(', ')}: nothing was run`);
  const values: Record<string, string> = {};
  for (const name of used) {
    const raw = given[name];
    if (typeof raw !== 'string') throw refuse(`${ref}: no value for parameter {${name}}: nothing was run`);
    const declared = def.params.find((p) => p.name === name);
    const builtin = BUILTIN_CHECKS[name];
    const problem = declared
      ? (() => {
          const checked = checkParam(declared, raw);
          return checked.ok ? (checked.value === raw ? undefined : 'is not in its checked form') : checked.reason;
        })()
      : builtin
        ? builtin(raw, request)
        : 'is not declared';
    const realProblem = !problem && declared?.type === 'path' ? await checkRealPath(raw, declared.prefixes ?? []) : undefined;
    if (problem || realProblem)
      throw refuse(`${ref}: parameter {${name}} = ${JSON.stringify(raw.slice(0, 80))} ${problem ?? realProblem}: nothing was run`);
    values[name] = raw;
  }
  const plan = planStep(def, step, values, {}, { host: deps.host });
  const command = describeCommand(plan);
  if (command !== request.expect)
    throw refuse(
      `${ref}: host ${deps.host}'s own policy runs ${JSON.stringify(command)}, not the requested ${JSON.stringify(request.expect)}: nothing was run`,
    );
  return plan;
}

export function createRunbookActivities(deps: RunbookDeps) {
  const redact = redactor(Object.values(deps.secrets));
  // Redaction sees a little past the cap, so a secret the cap would cut is still found whole.
  const margin = redactionMargin(Object.values(deps.secrets));

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

  const runShell = async (plan: StepPlan): Promise<StepResult> => {
    const [name, ...args] = plan.argv!;
    if (name && deps.missing && Object.hasOwn(deps.missing, name))
      throw refuse(`${name} is not installed on host ${deps.host} (looked for ${deps.missing[name]})`);
    if (!name || !Object.hasOwn(deps.executables, name))
      throw refuse(`"${name}" is not an allowed executable on host ${deps.host}; allowed: ${Object.keys(deps.executables).join(', ')}`);
    for (const arg of args) {
      if (arg.includes('\0') || arg.length > 4096) throw refuse(`${plan.ref}: an argument contains NUL or is too long`);
    }
    const env: Record<string, string> = { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...deps.secrets };
    const result = await withHeartbeat((signal, progress) =>
      runProcess({
        file: deps.executables[name]!,
        args,
        env,
        timeoutMs: plan.timeoutMs,
        signal,
        cap: OUTPUT_CAP_BYTES + margin,
        onProgress: progress,
      }).catch((error: NodeJS.ErrnoException) => {
        throw ApplicationFailure.nonRetryable(
          `cannot start ${deps.executables[name]} on host ${deps.host}: ${error.code ?? error.message}`,
          ErrorType.InvalidInput,
        );
      }),
    );
    if (result.cancelled) throw new CancelledFailure(`${plan.ref} was cancelled; its process group was killed`);
    const stdout = clip(redact(result.stdout));
    const stderr = clip(redact(result.stderr));
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
      truncated: result.stdoutBytes > OUTPUT_CAP_BYTES || result.stderrBytes > OUTPUT_CAP_BYTES,
      headline: headlineOf(stdout) || headlineOf(stderr),
    };
  };

  const runSql = async (plan: StepPlan): Promise<StepResult> => {
    const action = plan.action ?? 'query';
    const database = plan.database!;
    const urls = deps.databases[database];
    const url = action === 'query' ? urls?.query : urls?.terminate;
    if (!url)
      throw refuse(`host ${deps.host} has no ${action} connection for database "${database}" (set ${databaseVariable(database, action)})`);
    const started = Date.now();
    const db = new Client({
      connectionString: url,
      application_name: `${PROTECTED_APPLICATION_PREFIX}-runbook`,
      statement_timeout: plan.timeoutMs,
      connectionTimeoutMillis: 10_000,
    });
    // A session ended mid-step surfaces as the query's error; the client's own event must not crash the host.
    db.on('error', () => undefined);
    const work = async (signal: AbortSignal) => {
      await db.connect();
      await checkRole(db, database, action);
      // The busy connection cannot cancel itself; a second one does.
      const onAbort = () => {
        const canceller = new Client({ connectionString: url, application_name: `${PROTECTED_APPLICATION_PREFIX}-runbook` });
        canceller.on('error', () => undefined);
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
        await db.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(plan.timeoutMs))}`);
        // The extended protocol runs exactly one statement: "COMMIT; INSERT ..." is a syntax error there.
        const selected = await db.query({
          text: plan.sql!,
          values: plan.sqlArgs ?? [],
          rowMode: 'array',
          queryMode: 'extended',
        } as QueryArrayConfig);
        await db.query('COMMIT');
        if (action === 'query') {
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
      if (Context.current().cancellationSignal.aborted) throw new CancelledFailure(`${plan.ref} was cancelled`);
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
  };

  return {
    /** Runs a step of this host's own policy, by reference: see StepRequest. */
    async runStep(request: StepRequest): Promise<StepResult> {
      const plan = await planOnHost(deps, request);
      // The host's own policy says whether the step is gated; then only an approval it can verify lets it run.
      if (plan.approval === 'required') {
        const { workflowId = '', runId = '' } = Context.current().info.workflowExecution ?? {};
        const ref = `${request.runbook}/${request.step}`;
        const problem = grantProblem(deps.approvalKey, request.approval, { workflowId, runId, step: ref, params: request.params ?? {} });
        if (problem) {
          const message = `host ${deps.host} refused ${ref}: ${problem}; nothing was run`;
          (deps.log ?? console.warn)(`${message} (incident ${request.incidentId}, workflow ${workflowId} run ${runId})`);
          throw ApplicationFailure.nonRetryable(message, ErrorType.ApprovalNotVerified);
        }
      }
      return plan.kind === 'shell' ? runShell(plan) : runSql(plan);
    },
  };
}

/**
 * A runbook session must not be able to leave its box: never a superuser or a role that runs programs
 * or touches server files; diagnostics never with a role that can end sessions either.
 */
async function checkRole(db: Client, database: string, action: 'query' | 'terminate-backends') {
  const { rows } = await db.query<{ role: string; superuser: boolean; program: boolean; files: boolean; signal: boolean }>(
    `SELECT current_user AS role, r.rolsuper AS superuser,
            pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') AS program,
            pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') OR pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') AS files,
            pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AS signal
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const role = rows[0];
  const variable = databaseVariable(database, action);
  if (!role) throw refuse(`${variable}: cannot read the role of this connection`);
  const powers = [
    role.superuser && 'superuser',
    !role.superuser && role.program && 'pg_execute_server_program',
    !role.superuser && role.files && 'server file access',
    !role.superuser && action === 'query' && role.signal && 'pg_signal_backend',
  ].filter(Boolean);
  if (powers.length)
    throw refuse(
      `${variable} connects as role "${role.role}", which has ${powers.join(', ')}: runbook steps refuse such a role; use one with ${action === 'query' ? 'pg_monitor only' : 'pg_monitor and pg_signal_backend only'}`,
    );
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
