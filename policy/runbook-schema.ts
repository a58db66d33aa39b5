import { z } from 'zod';
import { DURATION_PATTERN } from './duration';
import { DEFAULT_COMMANDER_ASSIGNERS } from './approvals';
import { isReadOnly } from './read-only-commands';
import { PARAM_TYPES, PLACEHOLDER, placeholders } from './runbook-params';

const PHASE = z.enum(['detect', 'triage', 'contain', 'investigate', 'resolve', 'recover', 'review']);
const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 30s, 15m, 2h or 1d');
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
const paramName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and underscores');
const BUILTIN_PARAMS = ['incident_id', 'today'] as const;

const param = z.object({
  name: paramName,
  type: z.enum(PARAM_TYPES),
  /** The alert label the value comes from; without one (or when it is missing) `default` is used. */
  label: z.string().min(1).optional(),
  default: z.string().optional(),
  description: z.string().default(''),
  /** enum: the allowed values. */
  values: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9@._:-]*$/, 'enum values are plain words')).optional(),
  /** path: absolute directories the value must lie under. */
  prefixes: z.array(z.string().regex(/^\/([A-Za-z0-9._@+-]+\/?)*$/, 'an absolute path')).optional(),
  /** integer: bounds (min defaults to 0, so no value can look like an option). */
  min: z.number().int().min(0).optional(),
  max: z.number().int().optional(),
  /** hostname: accept "name:port" (Prometheus' instance label) and keep the name. */
  stripPort: z.boolean().default(false),
});

const step = z.object({
  id: slug,
  title: z.string().min(1),
  phase: PHASE,
  kind: z.enum(['shell', 'sql', 'notify']),
  approval: z.enum(['none', 'required']).default('none'),
  timeout: duration.default('30s'),
  /** shell: argv; argv[0] names an executable from `executables`. Never a shell string. */
  argv: z.array(z.string().min(1)).min(1).optional(),
  /** sql: a named database the runbook worker knows (RUNBOOK_DB_<NAME>). */
  database: slug.optional(),
  /** sql: one statement with $1..$n placeholders; values only through `args`. */
  sql: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  /** sql: "query" reads in a read-only transaction; "terminate-backends" ends the sessions whose pids the query selects. */
  action: z.enum(['query', 'terminate-backends']).default('query'),
  /** notify: who hears what. */
  targets: z.array(z.string().min(1)).optional(),
  message: z.string().min(1).optional(),
});

const runbook = z.object({
  id: slug,
  title: z.string().min(1),
  description: z.string().default(''),
  /** Attached automatically when one of these matches the incident's alerts; otherwise by `incidentctl runbook`. */
  match: z
    .object({
      /** Every incident gets this runbook. */
      always: z.boolean().default(false),
      alertnames: z.array(z.string().min(1)).default([]),
      /** Every label given must be present with this value. */
      labels: z.record(z.string(), z.string()).default({}),
    })
    .default({ always: false, alertnames: [], labels: {} }),
  /** Where shell and sql steps run: the host named by this alert label (port stripped), else `default`. */
  host: z.object({ label: z.string().min(1).default('instance'), default: z.string().min(1).default('local') }).default({
    label: 'instance',
    default: 'local',
  }),
  params: z.array(param).default([]),
  steps: z.array(step).min(1),
  /** Long-term fixes: they become post-mortem action items when the incident resolves. */
  followUps: z.array(z.string().min(1)).default([]),
});

/** Every argv a step can run: enum parameters expanded to each of their values (others stay as "{name}"). */
function expansions(argv: string[], params: RunbookParamDef[]): string[][] {
  let lines: string[][] = [argv];
  for (const p of params) {
    if (p.type !== 'enum' || !argv.some((t) => placeholders(t).includes(p.name))) continue;
    const token = `{${p.name}}`;
    lines = lines.flatMap((line) => (p.values ?? []).map((v) => line.map((t) => t.split(token).join(v))));
    if (lines.length > 256) return [argv];
  }
  return lines;
}

export const runbooksSchema = z
  .object({
    /** Executable name -> absolute path, or a bare name looked up on the worker's fixed system PATH. */
    executables: z.record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'executable names are plain file names'),
      z.string().regex(/^(\/[^\0]+|[A-Za-z0-9][A-Za-z0-9._+-]*)$/, 'an absolute path or a bare executable name'),
    ),
    /**
     * Executables of your own (diagnostic scripts) that you vouch only read: steps may run them without
     * approval. Every other command must match the built-in read-only rules (policy/read-only-commands.ts).
     */
    readOnly: z.array(z.string()).default([]),
    /**
     * Who may approve a changing step: contact ids, role:<role> or "commander". Empty = any contact.
     * Approvers are always policy contacts; "commander" counts only for a commander named by someone else
     * listed in `commanderAssigners`, so naming yourself commander never opens the gate.
     */
    approvers: z.array(z.string().min(1)).default(['commander', 'role:incident-commander', 'role:engineering-lead']),
    /** Who may name a commander whose approvals count: contact ids or role:<role>. */
    commanderAssigners: z.array(z.string().min(1)).default(DEFAULT_COMMANDER_ASSIGNERS),
    /**
     * Which runbook host serves an alert's instance (the runbook's `host.label`, port stripped): the first
     * entry whose `instance` pattern (`*` for any run of name characters) fits; `host` may be "{instance}"
     * for a worker named like the machine. An instance no entry fits runs on the runbook's default host,
     * and the timeline says so. Without this list (policies from before it), the instance is the host.
     */
    hosts: z
      .array(
        z.object({
          instance: z.string().regex(/^[A-Za-z0-9*][A-Za-z0-9.*-]*$/, 'a host name pattern, * for any run of name characters'),
          host: z.string().regex(/^(\{instance\}|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/, 'a host name, or {instance}'),
        }),
      )
      .optional(),
    /** An approval not given within this time escalates (and keeps waiting). */
    approvalTimeout: duration.default('15m'),
    /** A step no worker for its host picks up within this time: the host is offline, and that escalates. */
    hostOfflineAfter: duration.default('2m'),
    /** Environment variables passed to commands (e.g. REDISCLI_AUTH) whose values are redacted from evidence. */
    secretEnv: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')).default([]),
    /** Follow-ups become action items due this long after resolution. */
    followUpDue: duration.default('14d'),
    definitions: z.array(runbook).default([]),
  })
  .superRefine((rb, ctx) => {
    const ids = new Set<string>();
    rb.definitions.forEach((def, i) => {
      const at = (...path: (string | number)[]) => ['definitions', i, ...path];
      if (ids.has(def.id)) ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate runbook id "${def.id}"` });
      ids.add(def.id);
      const names = new Set<string>(BUILTIN_PARAMS);
      def.params.forEach((p, j) => {
        if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: at('params', j, 'name'), message: `duplicate parameter "${p.name}"` });
        names.add(p.name);
        if (p.type === 'enum' && !p.values?.length)
          ctx.addIssue({ code: 'custom', path: at('params', j, 'values'), message: 'an enum parameter lists its values' });
        if (p.type === 'path' && !p.prefixes?.length)
          ctx.addIssue({ code: 'custom', path: at('params', j, 'prefixes'), message: 'a path parameter lists its allowed prefixes' });
      });
      const stepIds = new Set<string>();
      def.steps.forEach((s, j) => {
        const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: at('steps', j, field), message });
        if (stepIds.has(s.id)) issue('id', `duplicate step id "${s.id}"`);
        stepIds.add(s.id);
        const templates = [...(s.argv ?? []), ...s.args, ...(s.message ? [s.message] : [])];
        for (const name of templates.flatMap(placeholders)) {
          if (!names.has(name)) issue(s.argv ? 'argv' : s.message ? 'message' : 'args', `unknown parameter {${name}}`);
        }
        if (s.kind === 'shell') {
          if (!s.argv) issue('argv', 'a shell step has an argv');
          else if (!(s.argv[0]! in rb.executables)) issue('argv', `"${s.argv[0]}" is not in runbooks.executables`);
          else if (PLACEHOLDER.test(s.argv[0]!)) issue('argv', 'the executable cannot be a parameter');
          else if (s.approval !== 'required') {
            // An allow-list: only invocations known to read may skip approval, for every value they can take.
            const changing = rb.readOnly.includes(s.argv[0]!)
              ? undefined
              : expansions(s.argv, def.params).find((argv) => !isReadOnly(argv));
            if (changing) issue('approval', `"${changing.join(' ')}" is not known to only read: its step must have approval "required"`);
          }
        }
        if (s.kind === 'sql') {
          if (!s.sql) issue('sql', 'a sql step has sql');
          if (!s.database) issue('database', 'a sql step names its database');
          if (s.sql && PLACEHOLDER.test(s.sql)) issue('sql', 'values go in args as $1..$n, never into the SQL text');
          if (s.sql?.replace(/;\s*$/, '').includes(';')) issue('sql', 'one statement per step: no ";" inside the SQL');
          if (s.action === 'terminate-backends' && s.approval !== 'required') issue('approval', 'terminating sessions requires approval');
        }
        if (s.kind === 'notify' && (!s.targets?.length || !s.message)) issue('targets', 'a notify step has targets and a message');
      });
    });
  });

export type RunbookPolicy = z.infer<typeof runbooksSchema>;
export type RunbookDef = RunbookPolicy['definitions'][number];
export type RunbookStepDef = RunbookDef['steps'][number];
export type RunbookParamDef = RunbookDef['params'][number];

export const EMPTY_RUNBOOKS: z.input<typeof runbooksSchema> = { executables: {}, definitions: [] };
