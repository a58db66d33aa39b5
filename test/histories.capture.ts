/**
 * `npm run histories:capture` runs these scenarios on the real dev server and saves their
 * histories to test/histories/. replay.test.ts replays them on every CI run, so a workflow
 * change that breaks determinism for incidents already running fails CI. 1.0's files are never
 * recaptured: after a deliberate change behind a patch, capture under a new tag beside them
 * (docs/versioning.md).
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import {
  acknowledgeUpdate,
  alertsSignal,
  addNoteUpdate,
  advancePhaseUpdate,
  assignCommanderUpdate,
  changeSeverityUpdate,
  postPublicUpdate,
  escalateUpdate,
  refreshDraftUpdate,
  resolveUpdate,
  reviewStateQuery,
  reviewWorkflowId,
  stateQuery,
  submitPostMortemUpdate,
} from '../contract';
import { signProof } from '../security/identity';
import { actAs } from '../server/act-as';
import { exportHistory } from './helpers/history-export';
import { teamPolicy } from './helpers/teams';
import { WEEKDAYS } from '../policy/zoned-time';
import { startMaintenance } from '../client/maintenance';
import { endMaintenanceSignal } from '../contract';
import type { Action } from '../contract';
import {
  TEST_IDENTITY_SECRET,
  declareIncident,
  testApprovalKeys,
  openTestEnv,
  startTestWorker,
  testPolicy,
  uniqueQueue,
  waitFor,
  type TestEnv,
} from './helpers/harness';
import { startSmtp, type TestSmtp } from '../dev/smtp-sink';
import { startSlackStandin, type SlackStandin } from '../dev/slack-standin';
import { RECORDER } from './fixtures/runbook-scripts';
import { findRunbook, runbookHandle, runbookPolicy, scriptDir, startRunbookHost, uniqueHost, waitForStep } from './helpers/runbooks';
import { rejectStepUpdate } from '../contract';

let env: TestEnv;
let smtp: TestSmtp;
let slack: SlackStandin;
beforeAll(async () => {
  env = await openTestEnv();
  smtp = await startSmtp();
  // The worker has Slack, so every incident has a chat lane (and its review archives the channel).
  slack = await startSlackStandin();
});
afterAll(async () => {
  await slack.close();
  await smtp.close();
  await env.close();
});

// Histories of earlier versions stay beside later ones: they keep the patches honest.
const TAG = process.env.HISTORY_TAG ?? 'v1.0';

async function save(name: string, handle: WorkflowHandle, runId?: string) {
  const file = path.join(__dirname, 'histories', `${name}-${TAG}.json`);
  const opened = await exportHistory(env.address, handle.workflowId, runId);
  // A saved history is what running incidents did: it is kept, never replaced.
  if (existsSync(file)) throw new Error(`${path.basename(file)} exists: capture under a new HISTORY_TAG (docs/versioning.md)`);
  writeFileSync(file, `${JSON.stringify(opened, null, 2)}\n`);
}

/**
 * Each scenario is captured once, under the tag of the release that brought it: a capture under a tag
 * runs that tag's scenarios whose files are not there yet (later tags add new ones).
 */
const since = (tag: string, ...names: string[]) =>
  tag === TAG && names.some((n) => !existsSync(path.join(__dirname, 'histories', `${n}-${tag}.json`))) ? test : test.skip;

since(
  'v1.0',
  'p1-escalated-lifecycle',
  'review-reminded-submitted',
  'p0-upgraded-manual-escalation',
  'p1-continued-as-new',
  'p3-auto-resolved',
  'runbook-incident',
  'runbook-steps',
)('capture workflow histories', async () => {
  const taskQueue = uniqueQueue('capture');
  const base = testPolicy();
  const policy = testPolicy({
    phaseBudgets: { detect: '2s', triage: '60s' },
    severities: { ...base.severities, P1: { ...base.severities.P1, statusUpdateEvery: '2s' } },
    review: { ...base.review, firstReminder: '1s', due: '2s', overdueEvery: '1s' },
  });
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url, slackApiUrl: slack.apiUrl });
  try {
    // P1: unacknowledged until the engineering lead is paged, then the whole lifecycle.
    const p1 = await declareIncident(env, taskQueue, { policy, severity: 'P1', title: 'Payment processing failures' });
    await waitFor(async () => ((await p1.handle.query(stateQuery))?.escalationLevel ?? 0) >= 1, 'escalation');
    await p1.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
    await p1.handle.executeUpdate(assignCommanderUpdate, { args: [{ by: 'engineer-a', commander: 'ic' }] });
    await p1.handle.executeUpdate(addNoteUpdate, { args: [{ by: 'ic', text: 'webhook secret rotated upstream' }] });
    // A public update (title, memo, subscribers' emails).
    await p1.handle.executeUpdate(postPublicUpdate, {
      args: [{ by: 'comms-lead', text: 'Payments are failing for some customers.', title: 'Payment errors' }],
    });
    for (let i = 0; i < 5; i++) await p1.handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic' }] });
    await p1.handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'expired secret', resolution: 'rotated' }] });
    const p1State = (await p1.handle.result()) as { incidentId: string };
    await save('p1-escalated-lifecycle', p1.handle);
    // Its review: a reminder, a refused submission, then an accepted one.
    const review = env.client.workflow.getHandle(reviewWorkflowId(p1State.incidentId));
    await waitFor(async () => (await review.query(reviewStateQuery)).reminders.length >= 1, 'first reminder', 30_000);
    await review.executeUpdate(refreshDraftUpdate);
    await review.executeUpdate(submitPostMortemUpdate, { args: [{ by: 'ic', markdown: '# empty' }] }).catch(() => undefined);
    const filled = ['Summary', 'Root Cause', 'Resolution', 'Impact', 'What Went Well', 'What Could Be Improved', 'Action Items']
      .map((h) => `## ${h}\nfilled\n`)
      .join('\n');
    await review.executeUpdate(submitPostMortemUpdate, { args: [{ by: 'ic', markdown: filled }] });
    await review.result();
    await save('review-reminded-submitted', review);

    // P2 raised to P0, manual escalation, skipped phases; the raise and the resolution by a verified person.
    const p0 = await declareIncident(env, taskQueue, { policy, severity: 'P2', title: 'Database compromised' });
    const asSecLead = <A extends object>(action: Action, args: A, via: 'token' | 'chat' = 'token') => ({
      ...args,
      proof: signProof(TEST_IDENTITY_SECRET, {
        person: 'sec-lead',
        via,
        action,
        workflowId: p0.handle.workflowId,
        incidentId: p0.state.incidentId,
        args,
      }),
    });
    await p0.handle.executeUpdate(changeSeverityUpdate, {
      args: [asSecLead('severity', { by: 'sec-lead', severity: 'P0' as const, reason: 'data breach confirmed' })],
    });
    await p0.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'sec-lead' }] });
    await p0.handle.executeUpdate(escalateUpdate, { args: [{ by: 'sec-lead', reason: 'need the DBA' }] }).catch(() => undefined);
    await p0.handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'sec-lead', to: 'investigate' }] });
    await p0.handle.executeUpdate(resolveUpdate, {
      args: [asSecLead('resolve', { by: 'sec-lead', rootCause: 'leaked key', resolution: 'revoked' }, 'chat')],
    });
    await p0.handle.result();
    await save('p0-upgraded-manual-escalation', p0.handle);

    // A run that ends in continue-as-new.
    const long = await declareIncident(env, taskQueue, { policy, severity: 'P1', historyLimit: 50 });
    const firstRun = (await long.handle.describe()).runId;
    await waitFor(
      async () => (await env.client.workflow.getHandle(long.handle.workflowId).describe()).runId !== firstRun,
      'continue-as-new',
      60_000,
    );
    await save('p1-continued-as-new', long.handle, firstRun);
    await env.client.workflow.getHandle(long.handle.workflowId).terminate('capture done');

    // A P3 from Alertmanager whose alert clears resolves itself and opens no review.
    const firing = { fingerprint: 'capture-p3', name: 'DiskSpaceLow', status: 'firing' as const, labels: { alertname: 'DiskSpaceLow' } };
    const p3 = await declareIncident(env, taskQueue, { policy, severity: 'P3', source: 'alertmanager', alerts: [firing] });
    await p3.handle.signal(alertsSignal, {
      alerts: [{ ...firing, status: 'resolved' }],
      truncatedAlerts: 0,
      notes: [],
      receivedAt: new Date().toISOString(),
      groupStatus: 'resolved',
    });
    await p3.handle.result();
    await save('p3-auto-resolved', p3.handle);

    // Runbooks: diagnostics at detection, one step rejected, one approved, then resolution.
    const host = uniqueHost('capture');
    const scripts = scriptDir({ recorder: RECORDER });
    const disk = findRunbook('disk-space-full');
    const rbPolicy = runbookPolicy({
      host,
      definitions: [disk],
      executables: { df: scripts.path('recorder'), du: scripts.path('recorder'), find: scripts.path('recorder') },
    });
    const hostWorker = await startRunbookHost(env, { host, policy: rbPolicy });
    try {
      const rb = await declareIncident(env, taskQueue, {
        policy: rbPolicy,
        severity: 'P2',
        commander: 'ic',
        source: 'alertmanager',
        alerts: [{ fingerprint: 'capture-disk', name: 'NodeFilesystemAlmostOutOfSpace', status: 'firing', labels: { mountpoint: '/var' } }],
      });
      await waitForStep(env, rb.handle, 'disk-space-full/large-files', ['succeeded']);
      await rb.handle.executeUpdate(advancePhaseUpdate, { args: [{ by: 'ic', to: 'contain' }] });
      const steps = await runbookHandle(env, rb.handle);
      await waitForStep(env, rb.handle, 'disk-space-full/delete-old-logs', ['awaiting-approval']);
      await steps.executeUpdate(rejectStepUpdate, { args: [{ by: 'ic', step: 'delete-old-logs', reason: 'logs are needed' }] });
      await waitForStep(env, rb.handle, 'disk-space-full/delete-old-backups', ['awaiting-approval']);
      // Approved by a verified approver, as the HTTP server does it: the host runs only a step whose approval is signed.
      await actAs(
        { client: env.client, identitySecret: TEST_IDENTITY_SECRET, approvalKey: testApprovalKeys().signing },
        { id: 'eng-lead', name: 'Engineering Lead' },
        'token',
        rb.state.incidentId,
        'approve',
        { step: 'delete-old-backups' },
      );
      await waitForStep(env, rb.handle, 'disk-space-full/delete-old-backups', ['succeeded']);
      await waitForStep(env, rb.handle, 'disk-space-full/usage-after', ['succeeded']);
      await rb.handle.executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'old backups', resolution: 'deleted' }] });
      await rb.handle.result();
      await steps.result();
      await save('runbook-incident', rb.handle);
      await save('runbook-steps', steps);
    } finally {
      await hostWorker.stop();
    }
  } finally {
    await worker.stop();
  }
});

// Teams (1.1): an incident of the databases team, paged from its schedules, escalated to its secondary.
since('v1.1', 'team-db-escalated')('capture: an incident of a team', async () => {
  const taskQueue = uniqueQueue('capture-teams');
  const policy = teamPolicy();
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  try {
    const db = await declareIncident(env, taskQueue, { policy, severity: 'P1', service: 'postgres', title: 'Replication lag' });
    await waitFor(async () => ((await db.handle.query(stateQuery))?.escalationLevel ?? 0) >= 1, 'the secondary paged', 30_000);
    await db.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'ines' }] });
    await db.handle.executeUpdate(resolveUpdate, { args: [{ by: 'ines', rootCause: 'a long vacuum', resolution: 'cancelled it' }] });
    await db.handle.result();
    await save('team-db-escalated', db.handle);
  } finally {
    await worker.stop();
  }
});

// Backups (1.1): the on-call does not answer; their backup is paged after backupAfter, then acknowledges.
since('v1.1', 'backup-paged')('capture: a backup paged', async () => {
  const taskQueue = uniqueQueue('capture-backup');
  const base = testPolicy();
  const rotation = new Set(base.oncall.rotation);
  const policy = testPolicy({ backupAfter: '2s', contacts: base.contacts.map((c) => (rotation.has(c.id) ? { ...c, backup: 'dba' } : c)) });
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  try {
    const p3 = await declareIncident(env, taskQueue, { policy, severity: 'P3', title: 'Queue backlog growing' });
    await waitFor(
      async () => (await p3.handle.query(stateQuery))?.timeline.some((e) => e.text.includes('paging their backup')),
      'the backup',
      30_000,
    );
    await p3.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'dba' }] });
    await p3.handle.executeUpdate(resolveUpdate, { args: [{ by: 'dba', rootCause: 'a stuck consumer', resolution: 'restarted it' }] });
    await p3.handle.result();
    await save('backup-paged', p3.handle);
  } finally {
    await worker.stop();
  }
});

// Maintenance (1.1): an alert of a service in a maintenance window is recorded and closed, paging nobody.
since('v1.1', 'maintenance-suppressed')('capture: an alert during maintenance', async () => {
  const taskQueue = uniqueQueue('capture-maintenance');
  const policy = testPolicy();
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  try {
    const window = await startMaintenance(env.client, taskQueue, { service: 'billing', minutes: 60, reason: 'capture', by: 'ops' });
    const firing = {
      fingerprint: 'capture-maintenance',
      name: 'HighErrorRate',
      status: 'firing' as const,
      labels: { alertname: 'HighErrorRate' },
    };
    const quiet = await declareIncident(env, taskQueue, {
      policy,
      severity: 'P1',
      service: 'billing',
      source: 'alertmanager',
      alerts: [firing],
    });
    await quiet.handle.result();
    await save('maintenance-suppressed', quiet.handle);
    await env.client.workflow.getHandle(window.workflowId).signal(endMaintenanceSignal, { by: 'ops' });
  } finally {
    await worker.stop();
  }
});

// Business hours (1.1): a P2 of payments outside its hours tells the on-call without a page; raised to P1 it pages.
since('v1.1', 'after-hours-raised')('capture: a P2 outside business hours, raised to P1', async () => {
  const taskQueue = uniqueQueue('capture-hours');
  const policy = teamPolicy();
  policy.severities.P2.businessHoursOnly = true;
  // Payments works one day a week, two days from now: never within its hours while this runs.
  const day = WEEKDAYS[new Date(Date.now() + 2 * 86_400_000).getUTCDay()]!;
  policy.teams = policy.teams.map((t) =>
    t.id === 'payments' ? { ...t, businessHours: { timeZone: 'UTC', hours: [{ days: [day], from: '09:00', to: '17:00' }] } } : t,
  );
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  try {
    const p2 = await declareIncident(env, taskQueue, { policy, severity: 'P2', service: 'payments-api', title: 'Checkout latency' });
    await waitFor(() => smtp.mails.find((m) => m.subject.includes(`${p2.state.incidentId} Outside business hours`)), 'the on-call told');
    await p2.handle.executeUpdate(changeSeverityUpdate, { args: [{ by: 'jon', severity: 'P1', reason: 'checkout failing' }] });
    await waitFor(async () => ((await p2.handle.query(stateQuery))?.escalationLevel ?? -1) >= 0, 'the page');
    await p2.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'jon' }] });
    await p2.handle.executeUpdate(resolveUpdate, { args: [{ by: 'jon', rootCause: 'a slow gateway', resolution: 'failed over' }] });
    await p2.handle.result();
    await save('after-hours-raised', p2.handle);
  } finally {
    await worker.stop();
  }
});

// Notification rules (1.1): the on-call's own order, SMS at once (outboxed here) and email 2 s later.
since('v1.1', 'notification-rules-followed')('capture: a page by a person’s notification rules', async () => {
  const taskQueue = uniqueQueue('capture-rules');
  const base = testPolicy();
  const rotation = new Set(base.oncall.rotation);
  const policy = testPolicy({
    severities: { ...base.severities, P3: { ...base.severities.P3, channels: ['sms', 'email'] } },
    contacts: base.contacts.map((c) =>
      rotation.has(c.id)
        ? {
            ...c,
            notificationRules: [
              { channel: 'sms', after: '0s' },
              { channel: 'email', after: '2s' },
            ],
          }
        : c,
    ),
  });
  const worker = await startTestWorker(env, { taskQueue, policy, smtpUrl: smtp.url });
  try {
    const p3 = await declareIncident(env, taskQueue, { policy, severity: 'P3', title: 'Certificate expiring' });
    await waitFor(
      () => smtp.mails.find((m) => m.subject.includes(`${p3.state.incidentId}:`) && m.subject.includes('(page:')),
      'the email after the SMS',
      30_000,
    );
    await p3.handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'engineer-a' }] });
    await p3.handle.executeUpdate(resolveUpdate, { args: [{ by: 'engineer-a', rootCause: 'renewal failed', resolution: 'renewed' }] });
    await p3.handle.result();
    await save('notification-rules-followed', p3.handle);
  } finally {
    await worker.stop();
  }
});
