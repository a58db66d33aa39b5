/**
 * Who did it, verified: personal API tokens through the HTTP API, signed proofs the workflow has a
 * worker check, and the policy's `identity.require` refusing unverified callers (exit code 4).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { signProof, tokenHash, TokenStore } from '../security/identity';
import {
  ErrorType,
  addNoteUpdate,
  approveStepUpdate,
  resolveUpdate,
  reviewWorkflowId,
  stateQuery,
  submitPostMortemUpdate,
  DEFAULT_IDENTITY_REQUIRE,
  type ActorProof,
  type IncidentState,
} from '../contract';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { offerAdminBootstrap } from '../server/admin-bootstrap';
import { GUESSES_PER_MINUTE } from '../server/api';
import { runCli } from './helpers/cli';
import { TEST_IDENTITY_SECRET, declareIncident, useIncidentHarness, waitFor } from './helpers/harness';
import { firingAlert, gatedRunbook, runbookHandle, startRunbookHost, waitForStep } from './helpers/runbooks';
import { startWebhook, type TestWebhook } from './helpers/webhook';

const { host, policy: basePolicy, marked } = gatedRunbook('identity');
// The shipped rules (the test policy turns them off for other flows).
const policy = { ...basePolicy, identity: { require: DEFAULT_IDENTITY_REQUIRE } };
let web: TestWebhook;
let hostWorker: { stop(): Promise<void> };
const h = useIncidentHarness({
  name: 'identity',
  // A store of its own: the first admin is bootstrapped while no admin holds a token, which other suites' tokens would spoil.
  isolatedStore: true,
  policy,
  beforeTeardown: async () => {
    await web?.close();
    await hostWorker?.stop();
  },
});
let operator: Record<string, string>;
let adminToken: string;
const asPerson = (token: string) => ({ ...operator, INCIDENT_API_URL: web.url, INCIDENT_TOKEN: token });

beforeAll(async () => {
  hostWorker = await startRunbookHost(h.env, { host, policy });
  web = await startWebhook(h.env.client, h.taskQueue, policy, 5000, undefined, {
    api: { tokens: new TokenStore(h.env.pool), identitySecret: TEST_IDENTITY_SECRET },
  });
  operator = { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: h.taskQueue };
  // The first admin, as on a new installation: the server's one-time code, on its machine.
  const offer = await offerAdminBootstrap(new TokenStore(h.env.pool), policy, mkdtempSync(path.join(os.tmpdir(), 'identity-')));
  if (offer.offered !== 'file') throw new Error(`no bootstrap code offered: ${offer.offered}`);
  const boot = await runCli(
    { ...operator, INCIDENT_API_URL: web.url },
    'token',
    'bootstrap',
    '--for',
    'ic',
    '--code-file',
    offer.file,
    '--json',
  );
  expect(boot).toMatchObject({ code: 0 });
  adminToken = (JSON.parse(boot.stdout) as { token: string }).token;
});

/** `incidentctl token create --for` by the admin, through the API: the token, shown once. */
async function tokenFor(person: string): Promise<string> {
  const created = await runCli(asPerson(adminToken), 'token', 'create', '--for', person, '--label', 'test', '--json');
  expect(created).toMatchObject({ code: 0 });
  return (JSON.parse(created.stdout) as { token: string }).token;
}

async function gatedIncident() {
  const incident = await declareIncident(h.env, h.taskQueue, {
    policy,
    severity: 'P1',
    commander: 'ic',
    source: 'alertmanager',
    alerts: [firingAlert('gate-alert')],
  });
  await waitForStep(h.env, incident.handle, 'gate/change', ['awaiting-approval']);
  return incident;
}

const failureType = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause.type : String(error);

test('approving a changing step needs a verified person: --as is refused with exit 4, a token approves as its person', async () => {
  const { handle, state } = await gatedIncident();
  const id = state.incidentId;

  const unverified = await runCli(operator, 'approve', id, 'gate/change', '--as', 'eng-lead');
  expect(unverified.code).toBe(4);
  expect(unverified.stderr).toContain('needs a verified identity (policy identity.require: approve)');
  expect((await waitForStep(h.env, handle, 'gate/change', ['awaiting-approval'])).approvedBy).toBeUndefined();

  // A person who is no approver, with a valid token of their own, is refused by the approvers rule.
  const engineer = await runCli(asPerson(await tokenFor('engineer-a')), 'approve', id, 'gate/change');
  expect(engineer.code).toBe(4);
  expect(engineer.stderr).toContain('engineer-a may not approve runbook steps');

  const approved = await runCli(asPerson(await tokenFor('eng-lead')), 'approve', id, 'gate/change');
  expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining('approved by eng-lead') });
  const run = await waitForStep(h.env, handle, 'gate/change', ['succeeded']);
  expect(run.approvedBy).toBe('eng-lead');
  expect(marked()).toBe(true);
});

test('a direct Temporal client cannot approve with a forged, altered or replayed proof, and a good proof without the signed approval runs nothing on the host', async () => {
  const { handle, state } = await gatedIncident();
  const runbooks = await runbookHandle(h.env, handle);
  const args = { by: 'eng-lead', step: 'gate/change' };
  const proof = (secret: string, over: Partial<{ args: object }> = {}): ActorProof =>
    signProof(secret, {
      person: 'eng-lead',
      via: 'token',
      action: 'approve',
      workflowId: runbooks.workflowId,
      incidentId: state.incidentId,
      args: over.args ?? args,
    });
  const approve = (p: ActorProof) => runbooks.executeUpdate(approveStepUpdate, { args: [{ ...args, proof: p }] }).catch(failureType);

  expect(await approve(proof('not-the-secret'))).toBe(ErrorType.IdentityRejected);
  expect(await approve(proof(TEST_IDENTITY_SECRET, { args: { step: 'other/step' } }))).toBe(ErrorType.IdentityRejected);
  expect(await approve({ ...proof(TEST_IDENTITY_SECRET), person: 'ic' })).toBe(ErrorType.IdentityRejected);
  expect((await waitForStep(h.env, handle, 'gate/change', ['awaiting-approval'])).approvedBy).toBeUndefined();

  const good = proof(TEST_IDENTITY_SECRET);
  expect(await approve(good)).toMatchObject({ approvedBy: 'eng-lead' });
  // The workflow took it, but the host checks the approval itself: no grant signed by the HTTP server, nothing runs.
  const refused = await waitForStep(h.env, handle, 'gate/change', ['failed', 'succeeded']);
  expect(refused).toMatchObject({ status: 'failed', error: expect.stringContaining('no signed approval came with it; nothing was run') });
  await waitFor(
    async () => (await handle.query(stateQuery))?.timeline.some((e) => e.text.includes('refused gate/change')),
    'the refusal on the timeline',
  );

  // A proof is good once: read back out of history, the same note cannot be added again in that name.
  const noteArgs = { by: 'eng-lead', text: 'restarting now' };
  const noteProof = signProof(TEST_IDENTITY_SECRET, {
    person: 'eng-lead',
    via: 'token',
    action: 'note',
    workflowId: handle.workflowId,
    incidentId: state.incidentId,
    args: noteArgs,
  });
  const note = () => handle.executeUpdate(addNoteUpdate, { args: [{ ...noteArgs, proof: noteProof }] }).catch(failureType);
  expect(await note()).toMatchObject({ incidentId: expect.any(String) });
  expect(await note()).toBe(ErrorType.IdentityRejected);
});

test('resolving a P1: refused unverified, done with a token and shown as "(token)"; a revoked token gets 401', async () => {
  const { handle, state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P1' });
  const id = state.incidentId;
  const resolveArgs = ['resolve', id, '--root-cause', 'bad deploy', '--resolution', 'rolled back'];

  // Directly, as anyone: refused, and the workflow says which rule.
  const direct = await handle
    .executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'x', resolution: 'y' }] })
    .catch((e: unknown) => e);
  expect(failureType(direct)).toBe(ErrorType.IdentityRequired);
  expect(await runCli(operator, ...resolveArgs, '--as', 'ic')).toMatchObject({
    code: 4,
    stderr: expect.stringContaining('resolving a P1 incident needs a verified identity (policy identity.require: resolve:P1)'),
  });

  // A note needs no verified person: recorded as unverified, under the name written.
  expect(await runCli(operator, 'note', id, 'looking', '--as', 'someone')).toMatchObject({ code: 0 });

  const token = await tokenFor('ic');
  const listed = await runCli(asPerson(adminToken), 'token', 'list', '--for', 'ic', '--json');
  expect(listed.stdout).not.toContain(token); // listed, never shown again
  const tokenId = (JSON.parse(listed.stdout) as { id: string }[])[0]!.id;

  // --as means nothing with a token: the token says who you are.
  expect(await runCli(asPerson(token), 'note', id, 'hi', '--as', 'ceo')).toMatchObject({ code: 2 });
  const resolved = await runCli(asPerson(token), ...resolveArgs);
  expect(resolved).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id} resolved by Incident Commander (token)`) });
  // Resolution closes the incident: its final state is its result (a query would replay the whole history).
  const final = (await handle.result()) as IncidentState;
  expect(final.status).toBe('resolved');
  expect(final.resolvedVia).toBe('token');
  expect(final.timeline.filter((e) => e.kind === 'note' || e.kind === 'resolved').map((e) => [e.actor, e.via, e.kind])).toEqual([
    ['someone', 'unverified', 'note'],
    ['Incident Commander', 'token', 'resolved'],
  ]);
  const shown = await runCli(operator, 'show', id);
  expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining('Incident Commander (token)') });

  expect(await runCli(asPerson(adminToken), 'token', 'revoke', tokenId)).toMatchObject({ code: 0 });
  const me = await fetch(`${web.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(401);
  expect(await runCli(asPerson(token), 'note', id, 'still me?')).toMatchObject({ code: 4, stderr: expect.stringContaining('revoked') });
});

test("an incident started with its own policy cannot weaken identity.require: the worker's rules apply", async () => {
  const lax = { ...policy, identity: { require: [] } };
  const { handle } = await declareIncident(h.env, h.taskQueue, { policy: lax, severity: 'P1' });
  const direct = await handle
    .executeUpdate(resolveUpdate, { args: [{ by: 'ic', rootCause: 'x', resolution: 'y' }] })
    .catch((e: unknown) => e);
  expect(failureType(direct)).toBe(ErrorType.IdentityRequired);
  expect((await handle.query(stateQuery))!.status).toBe('open');
});

test("tokens for other people come only from an admin: not over Temporal, not from a non-admin's token; the bootstrap code works once", async () => {
  // Reaching Temporal mints nothing: the CLI has no operator route for tokens any more.
  const overTemporal = await runCli(operator, 'token', 'create', '--for', 'cto', '--json');
  expect(overTemporal).toMatchObject({ code: 2, stderr: expect.stringContaining('tokens are managed through the HTTP API') });
  expect(await runCli(operator, 'token', 'list')).toMatchObject({ code: 2 });

  // A verified person who is no admin makes and lists their own tokens only.
  const engineer = asPerson(await tokenFor('engineer-a'));
  const forCto = await runCli(engineer, 'token', 'create', '--for', 'cto', '--json');
  expect(forCto).toMatchObject({ code: 4, stderr: expect.stringContaining('engineer-a is not an admin') });
  expect(await runCli(engineer, 'token', 'list', '--for', 'ic')).toMatchObject({ code: 4 });
  expect(await runCli(engineer, 'token', 'list', '--all')).toMatchObject({ code: 4 });
  const own = await runCli(engineer, 'token', 'create', '--label', 'laptop', '--json');
  expect(own).toMatchObject({ code: 0 });
  expect(JSON.parse(own.stdout)).toMatchObject({ person: 'engineer-a', label: 'laptop' });
  // Someone else's token cannot be revoked by a non-admin (not found among their own).
  const icTokens = JSON.parse((await runCli(asPerson(adminToken), 'token', 'list', '--for', 'ic', '--json')).stdout) as { id: string }[];
  expect(await runCli(engineer, 'token', 'revoke', icTokens[0]!.id)).toMatchObject({ code: 3 });

  // The admin's token makes one for the CTO.
  const made = await runCli(asPerson(adminToken), 'token', 'create', '--for', 'cto', '--json');
  expect(made).toMatchObject({ code: 0 });
  expect(JSON.parse(made.stdout)).toMatchObject({ person: 'cto', createdBy: expect.stringMatching(/^ic \(token tok_/) });

  // A bootstrap code is good once, and only for an admin.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'identity-'));
  const store = new TokenStore(h.env.pool);
  await h.env.pool.query('DELETE FROM admin_bootstrap');
  expect(await store.offerBootstrap('0'.repeat(64), 1000)).toBe(true);
  await h.env.pool.query('DELETE FROM admin_bootstrap');
  // An admin holds a token already: no code is offered.
  expect(await offerAdminBootstrap(store, policy, dir)).toEqual({ offered: 'not-needed' });
  const code = 'boot_test-code';
  await store.offerBootstrap(tokenHash(code), 60_000);
  const bootstrap = (who: string) => runCli({ ...operator, INCIDENT_API_URL: web.url }, 'token', 'bootstrap', '--for', who, '--code', code);
  expect(await bootstrap('engineer-a')).toMatchObject({ code: 2, stderr: expect.stringContaining('the first token is for an admin') });
  expect(await bootstrap('ic')).toMatchObject({ code: 0 });
  expect(await bootstrap('ic')).toMatchObject({ code: 4, stderr: expect.stringContaining('no such bootstrap code') });
});

test('a public update needs a verified person by default: --as is refused, a token posts it', async () => {
  const { state } = await declareIncident(h.env, h.taskQueue, { policy, severity: 'P2' });
  const publicArgs = ['update', state.incidentId, 'We are looking into it.', '--public', '--title', 'Search is slow'];
  expect(await runCli(operator, ...publicArgs, '--as', 'ic')).toMatchObject({
    code: 4,
    stderr: expect.stringContaining('identity.require: public-update'),
  });
  expect(await runCli(asPerson(await tokenFor('comms-lead')), ...publicArgs)).toMatchObject({ code: 0 });
});

// Last in this file: it leaves 127.0.0.1 refused by this server for a minute.
test('every command that records a person records the token person, verified: declare, action add/done, override, postmortem --submit', async () => {
  const env = asPerson(await tokenFor('eng-lead'));
  const declared = await runCli(env, 'declare', '--title', 'Declared with a token', '--severity', 'P3', '--service', 'api', '--json');
  expect(declared).toMatchObject({ code: 0 });
  const { incidentId: id, workflowId } = JSON.parse(declared.stdout) as { incidentId: string; workflowId: string };
  const handle = h.env.client.workflow.getHandle(workflowId);
  expect(await handle.query(stateQuery)).toMatchObject({ declaredBy: 'Engineering Lead', declaredVia: 'token' });
  expect((await handle.query(stateQuery))!.timeline[0]).toMatchObject({ kind: 'declared', actor: 'Engineering Lead', via: 'token' });
  expect(await runCli(env, 'show', id)).toMatchObject({ stdout: expect.stringContaining('by Engineering Lead (token)') });
  // Directly over Temporal, the name as written, and it says so.
  const direct = await runCli(
    operator,
    'declare',
    '--title',
    'Declared directly',
    '--severity',
    'P3',
    '--service',
    'api',
    '--as',
    'someone',
    '--json',
  );
  const directState = await h.env.client.workflow
    .getHandle((JSON.parse(direct.stdout) as { workflowId: string }).workflowId)
    .query(stateQuery);
  expect(directState).toMatchObject({ declaredBy: 'someone', declaredVia: 'unverified' });
  // A proof for another declaration is refused by the worker: the incident still opens, its declarer unverified.
  const forged = await h.env.client.workflow.start('incidentWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: `forged-declare-${Date.now()}`,
    args: [
      {
        title: 'Forged',
        severity: 'P3',
        service: 'api',
        source: 'manual',
        declaredBy: 'CEO',
        declaredProof: signProof(TEST_IDENTITY_SECRET, {
          person: 'ceo',
          via: 'token',
          action: 'declare',
          workflowId: 'some-other-workflow',
          incidentId: '',
          args: { title: 'Forged', severity: 'P3', service: 'api' },
        }),
      },
    ],
  });
  const forgedState = await waitFor(async () => {
    const s = await forged.query(stateQuery);
    return s?.number ? s : undefined;
  }, 'the forged declaration to open');
  expect(forgedState).toMatchObject({ declaredBy: 'CEO', declaredVia: 'unverified' });
  expect(forgedState.timeline.some((e) => e.kind === 'warning' && e.text.includes('Who declared is unverified'))).toBe(true);
  await forged.terminate('test done');

  const added = await runCli(env, 'action', 'add', id, 'Alert on pool saturation', '--owner', 'dba', '--due', '2026-12-31', '--json');
  expect(added).toMatchObject({ code: 0 });
  const item = JSON.parse(added.stdout) as { id: string };
  expect(await runCli(env, 'action', 'done', item.id)).toMatchObject({ code: 0 });
  const row = await h.env.pool.query('SELECT created_by, done_by FROM action_items WHERE id = $1', [Number(item.id.slice(2))]);
  expect(row.rows[0]).toEqual({ created_by: 'Engineering Lead (token)', done_by: 'Engineering Lead (token)' });

  const from = new Date(Date.now() + 365 * 86_400_000).toISOString();
  const to = new Date(Date.parse(from) + 3600_000).toISOString();
  const override = await runCli(env, 'override', '--user', 'engineer-b', '--from', from, '--to', to, '--json');
  expect(override).toMatchObject({ code: 0 });
  expect(JSON.parse(override.stdout)).toMatchObject({ contactId: 'engineer-b', createdBy: 'Engineering Lead (token)' });
  expect(await runCli(env, 'override', 'delete', (JSON.parse(override.stdout) as { id: string }).id)).toMatchObject({ code: 0 });

  expect(await runCli(env, 'resolve', id, '--root-cause', 'a leak', '--resolution', 'restarted')).toMatchObject({ code: 0 });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pm-')), `${id}.md`);
  writeFileSync(file, policy.review.requiredSections.map((s) => `## ${s}\nWritten by the lead.`).join('\n\n'));
  // The review opens once the resolved incident's workflow has finished.
  await handle.result();
  // A proof made for another workflow is refused by the review with its type (403 for the API), and changes nothing.
  const markdown = readFileSync(file, 'utf8');
  const forgedSubmit = await h.env.client.workflow
    .getHandle(reviewWorkflowId(id))
    .executeUpdate(submitPostMortemUpdate, {
      args: [
        {
          by: 'CEO',
          markdown,
          proof: signProof(TEST_IDENTITY_SECRET, {
            person: 'ceo',
            via: 'token',
            action: 'submit-postmortem',
            workflowId: 'another-review',
            incidentId: id,
            args: { markdown },
          }),
        },
      ],
    })
    .catch((e: unknown) => e);
  expect(failureType(forgedSubmit)).toBe(ErrorType.IdentityRejected);
  const submitted = await runCli(env, 'postmortem', id, '--submit', file);
  expect(submitted).toMatchObject({ code: 0, stdout: expect.stringContaining('submitted by Engineering Lead (token)') });
  const stored = await h.env.pool.query(
    'SELECT p.submitted_by FROM postmortems p JOIN incidents i ON i.number = p.incident_number WHERE i.number = $1',
    [Number(id.slice(4))],
  );
  expect(stored.rows[0]).toEqual({ submitted_by: 'Engineering Lead' });
});

test('guessing API tokens is slow: past 20 failures a minute from one address, 429 before any lookup', async () => {
  const guess = (token: string) => fetch(`${web.url}/api/v1/me`, { headers: { authorization: `Bearer inc_${token}` } });
  // Earlier tests here already spent a few failures (revoked tokens): at most the allowance is answered 401.
  const statuses: number[] = [];
  for (let i = 0; i < GUESSES_PER_MINUTE; i++) statuses.push((await guess(`wrong-${i}`)).status);
  expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  expect(statuses.indexOf(429) === -1 || statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
  const refused = await guess('wrong-again');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  // Even a good token waits: the answer does not depend on the guess.
  expect((await fetch(`${web.url}/api/v1/me`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(429);
});
