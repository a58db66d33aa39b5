// Who may answer a runbook approval, and how a step's outcome reads: pure, against the shipped policy.
import { loadPolicy } from '../../policy/load';
import type { RunbookSync, StepResult, StepRun } from '../../contract';
import { ErrorType } from '../../contract';
import { answerRefusal, approvalRefusal, approvalRequest, notRunning, stepFailure, stepResult } from './decisions';

const shipped = loadPolicy();
const policy = { runbooks: shipped.runbooks, contacts: shipped.contacts, escalation: shipped.escalation, identity: shipped.identity };
const sync = (over: Partial<RunbookSync> = {}): RunbookSync => ({ phase: 'contain', status: 'open', attached: [], ...over });
const step = (over: Partial<StepRun> = {}): StepRun => ({
  plan: {
    ref: 'disk/delete-old',
    runbook: 'disk',
    step: 'delete-old',
    title: 'Delete old backups',
    phase: 'contain',
    kind: 'shell',
    approval: 'required',
    timeoutMs: 60_000,
    params: {},
    host: 'db-1',
    argv: ['find', '/var/backups', '-delete'],
  },
  status: 'awaiting-approval',
  ...over,
});

describe('who may approve', () => {
  test('an approver by role may; a contact without the role and a stranger may not', () => {
    expect(approvalRefusal(policy, sync(), 'eng-lead')).toBeUndefined();
    expect(approvalRefusal(policy, sync(), 'engineer-a')).toMatch(/^engineer-a may not approve runbook steps: approvers: commander/);
    expect(approvalRefusal(policy, sync(), 'mallory')).toBe('mallory may not approve runbook steps: not a contact in the policy');
  });

  test('the commander approves only when named, verified, by someone who may name commanders', () => {
    const commander = { commander: 'engineer-a', commanderAssignedBy: 'Engineering Lead' };
    expect(approvalRefusal(policy, sync(commander), 'engineer-a')).toMatch(/without a verified identity, which opens no approval/);
    expect(approvalRefusal(policy, sync({ ...commander, commanderAssignedById: 'eng-lead' }), 'engineer-a')).toBeUndefined();
    expect(approvalRefusal(policy, sync({ ...commander, commanderAssignedById: 'engineer-a' }), 'engineer-a')).toMatch(
      /named themselves commander/,
    );
    expect(approvalRefusal(policy, sync({ ...commander, commanderAssignedById: 'engineer-b' }), 'engineer-a')).toMatch(
      /who may not name commanders/,
    );
  });

  test('an answer must fit the step: no approval of a running step, no second rejection; a refusal to reject says reject', () => {
    expect(answerRefusal('approve', step({ status: 'running' }), 'eng-lead', policy, sync())).toMatchObject({
      type: ErrorType.InvalidTransition,
      message: 'disk/delete-old is running, not awaiting approval',
    });
    expect(answerRefusal('reject', step({ rejectedBy: 'eng-lead' }), 'eng-lead', policy, sync())?.message).toMatch(/nothing to reject/);
    expect(answerRefusal('reject', step(), 'engineer-a', policy, sync())?.message).toMatch(/^engineer-a may not reject runbook steps/);
    expect(answerRefusal('approve', step(), 'eng-lead', policy, sync())).toBeUndefined();
  });
});

describe('what the incident hears', () => {
  test('an approval request names the command, the host and how to answer', () => {
    const event = approvalRequest(step({ approvalDeadline: '2026-12-03T10:15:00.000Z' }), 'INC-7');
    expect(event.text).toBe('Approval needed for disk/delete-old (Delete old backups) on db-1: find /var/backups -delete');
    expect(event.approval?.body).toContain('Approve:  incidentctl approve INC-7 disk/delete-old');
    expect(event.approval?.body).toContain('Without an answer by 2026-12-03T10:15:00.000Z the incident escalates.');
  });

  test('a skipped, rejected or too-late step does not run, and only a planned skip is said', () => {
    expect(notRunning(step({ plan: { ...step().plan, skip: 'instance label is not a host name' } }), false)).toMatchObject({
      status: 'skipped',
      event: { warning: true, text: 'Skipped disk/delete-old: instance label is not a host name. Nothing was run.' },
    });
    expect(notRunning(step({ rejectedBy: 'eng-lead' }), false)).toEqual({ status: 'rejected' });
    expect(notRunning(step(), true)).toEqual({ status: 'skipped', reason: 'the incident was resolved first' });
    expect(notRunning(step(), false)).toBeUndefined();
  });

  test('a failed step informs the commander about its host (trouble), never escalates; success is no warning', () => {
    const base: StepResult = {
      host: 'db-1',
      workerPid: 1,
      durationMs: 1500,
      exitCode: 0,
      timedOut: false,
      stdout: '',
      stderr: '',
      stdoutBytes: 0,
      stderrBytes: 0,
      truncated: false,
      headline: 'freed 2 GB',
    };
    expect(stepResult(step(), base, 12)).toEqual({
      status: 'succeeded',
      event: { actor: 'runbook', warning: false, text: 'disk/delete-old exited 0 in 2s on db-1: freed 2 GB (evidence #12)' },
    });
    const failed = stepResult(step(), { ...base, exitCode: 1, headline: '' }, 13);
    expect(failed.status).toBe('failed');
    expect(failed.event).toMatchObject({ warning: true, trouble: { host: 'db-1' } });
    expect(failed.event.escalate).toBeUndefined();
    const offline = stepFailure(step(), { offline: true, hostOfflineAfter: '2m' });
    expect(offline.error).toBe('host db-1 is offline: no runbook worker took the step within 2m');
    expect(offline.event).toMatchObject({ trouble: { host: 'db-1' } });
    expect(offline.event.escalate).toBeUndefined();
  });
});
