// Pure and deterministic: what each runbook step would run, from the policy and the alert's labels.
// The workflow, `--dry-run` and the tests all plan through here.
import { durationMs } from './duration';
import { checkParam, placeholders, fillStepParams } from './runbook-params';
import type { RunbookDef, RunbookPolicy, RunbookStepDef } from './runbook-schema';
import { ErrorType, runbookTaskQueue, type AlertRef, type StepPlan } from '../contract';

export interface PlanContext {
  incidentId: string;
  nowMs: number;
}

/** The host a runbook's steps run on (with a remark when the instance maps to none), or why it cannot be routed. */
export function runbookHost(
  def: RunbookDef,
  labels: Record<string, string>,
  hosts?: RunbookPolicy['hosts'],
): { host: string; note?: string } | { error: string } {
  const raw = labels[def.host.label];
  if (raw === undefined || raw === '') return { host: def.host.default };
  const checked = checkParam({ type: 'hostname', stripPort: true }, raw);
  if (!checked.ok) return { error: `label ${def.host.label}=${JSON.stringify(clip(raw))} ${checked.reason}` };
  if (!hosts) return { host: checked.value };
  const instance = checked.value;
  const mapped = hosts.find((h) => globMatches(h.instance, instance));
  if (mapped) return { host: mapped.host === '{instance}' ? instance : mapped.host };
  return {
    host: def.host.default,
    note: `instance ${instance} maps to no runbook host (runbooks.hosts): its steps run on ${def.host.default}`,
  };
}

const globMatches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[A-Za-z0-9.-]*')}$`).test(name);

/** The values of a runbook's parameters from the alert's labels (or defaults), and why any is refused. */
export function resolveParams(
  def: RunbookDef,
  labels: Record<string, string>,
  ctx: PlanContext,
): { values: Record<string, string>; problems: Record<string, string> } {
  const values: Record<string, string> = {
    incident_id: ctx.incidentId,
    today: new Date(ctx.nowMs).toISOString().slice(0, 10),
  };
  const problems: Record<string, string> = {};
  for (const p of def.params) {
    const fromLabel = p.label !== undefined ? labels[p.label] : undefined;
    const raw = fromLabel !== undefined && fromLabel !== '' ? fromLabel : p.default;
    const source = fromLabel !== undefined && fromLabel !== '' ? `label ${p.label}` : 'default';
    if (raw === undefined) {
      problems[p.name] = `parameter {${p.name}} has no value${p.label ? ` (no "${p.label}" label on the alert)` : ''}`;
      continue;
    }
    const checked = checkParam(p, raw);
    if (checked.ok) values[p.name] = checked.value;
    else problems[p.name] = `parameter {${p.name}} from ${source} = ${JSON.stringify(clip(raw))} ${checked.reason}`;
  }
  return { values, problems };
}

/** The placeholders a step's templates use. */
export const stepPlaceholders = (step: RunbookStepDef): string[] => [
  ...new Set([...(step.argv ?? []), ...step.args, ...(step.message ? [step.message] : [])].flatMap(placeholders)),
];

/**
 * What one step runs with these (already checked) values on `host`. The incident plans with it, and a
 * runbook host builds the command again with it from its own policy: the same code, so both agree.
 */
export function planStep(
  def: RunbookDef,
  step: RunbookStepDef,
  values: Record<string, string>,
  problems: Record<string, string>,
  host: { host: string } | { error: string },
): StepPlan {
  const used = stepPlaceholders(step);
  const base: StepPlan = {
    ref: `${def.id}/${step.id}`,
    runbook: def.id,
    step: step.id,
    title: step.title,
    phase: step.phase,
    kind: step.kind,
    approval: step.approval,
    timeoutMs: durationMs(step.timeout),
    params: Object.fromEntries(used.filter((n) => n in values).map((n) => [n, values[n]!])),
  };
  const skip = used.map((n) => problems[n]).find(Boolean);
  if (skip) return { ...base, skip };
  if (step.kind === 'notify') return { ...base, notify: { targets: step.targets!, text: fillStepParams(step.message!, values) } };
  if ('error' in host) return { ...base, skip: `cannot route: ${host.error}` };
  const routed = { ...base, host: host.host, queue: runbookTaskQueue(host.host) };
  if (step.kind === 'shell') return { ...routed, argv: step.argv!.map((t) => fillStepParams(t, values)) };
  return {
    ...routed,
    database: step.database!,
    sql: step.sql!,
    sqlArgs: step.args.map((t) => fillStepParams(t, values)),
    action: step.action,
  };
}

export function planRunbook(
  def: RunbookDef,
  labels: Record<string, string>,
  ctx: PlanContext & { hosts?: RunbookPolicy['hosts'] },
): StepPlan[] {
  const { values, problems } = resolveParams(def, labels, ctx);
  const host = runbookHost(def, labels, ctx.hosts);
  return def.steps.map((step) => planStep(def, step, values, problems, host));
}

/** Runbooks whose match rules fit the incident's alerts, with the labels of the alert that matched. */
export function matchRunbooks(runbooks: RunbookPolicy | undefined, alerts: AlertRef[]): { id: string; labels: Record<string, string> }[] {
  const matches: { id: string; labels: Record<string, string> }[] = [];
  for (const def of runbooks?.definitions ?? []) {
    const alert = alerts.find(
      (a) =>
        a.status === 'firing' &&
        (def.match.alertnames.length > 0 || Object.keys(def.match.labels).length > 0) &&
        (def.match.alertnames.length === 0 || def.match.alertnames.includes(a.name)) &&
        Object.entries(def.match.labels).every(([k, v]) => a.labels[k] === v),
    );
    if (alert) matches.push({ id: def.id, labels: alert.labels });
    else if (def.match.always) matches.push({ id: def.id, labels: alerts[0]?.labels ?? {} });
  }
  return matches;
}

/** What a step would run, as one line: argv elements quoted only for reading, SQL with its arguments. */
export function describeCommand(plan: StepPlan): string {
  if (plan.argv) return plan.argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (plan.sql) {
    const args = plan.sqlArgs?.length ? `  -- args: ${JSON.stringify(plan.sqlArgs)}` : '';
    return `${plan.action === 'terminate-backends' ? 'terminate the sessions selected by: ' : ''}${plan.sql}${args} (database ${plan.database})`;
  }
  if (plan.notify) return `notify ${plan.notify.targets.join(', ')}: ${plan.notify.text}`;
  return '';
}

/**
 * A step by "runbook/step", or by a step id unique in the incident. The failure carries the
 * ErrorType a caller reports: NotFound for no such step, InvalidInput for an ambiguous id.
 */
export function findStep<T extends { plan: StepPlan }>(
  steps: T[],
  ref: string,
  incidentId: string,
): { step: T } | { error: string; type: ErrorType.NotFound | ErrorType.InvalidInput } {
  const exact = steps.find((s) => s.plan.ref === ref);
  if (exact) return { step: exact };
  const byStep = steps.filter((s) => s.plan.step === ref);
  if (byStep.length === 1) return { step: byStep[0]! };
  if (byStep.length > 1)
    return { error: `step "${ref}" is ambiguous: use one of ${byStep.map((s) => s.plan.ref).join(', ')}`, type: ErrorType.InvalidInput };
  return {
    error: `no runbook step "${ref}" in ${incidentId}; steps: ${steps.map((s) => s.plan.ref).join(', ') || 'none'}`,
    type: ErrorType.NotFound,
  };
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);
