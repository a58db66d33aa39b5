import { DEFAULT_IDENTITY_REQUIRE, canonicalArgs, identityRule } from '../contract';
import { proofProblem, signProof, tokenHash, newToken } from './identity';

const SECRET = 'unit-secret';
const at = Date.parse('2026-11-28T10:00:00Z');
const args = { by: 'Alice', rootCause: 'disk', resolution: 'grew volume' };
const proof = () => signProof(SECRET, { person: 'ic', via: 'token', action: 'resolve', workflowId: 'wf-1', incidentId: 'INC-1', args }, at);
const expected = { action: 'resolve' as const, workflowId: 'wf-1', incidentId: 'INC-1', args };

describe('the shipped identity rules', () => {
  test.each([
    ['approve', undefined, 'approve'],
    ['reject', 'P3', 'reject'],
    ['resolve', 'P0', 'resolve:P0'],
    ['resolve', 'P1', 'resolve:P1'],
    ['resolve', 'P2', undefined],
    ['severity', 'P1', 'severity:P1'],
    ['severity', 'P3', undefined],
    ['acknowledge', 'P0', undefined],
    ['note', 'P0', undefined],
  ] as const)('%s on a %s incident needs: %s', (action, severity, rule) => {
    expect(identityRule(DEFAULT_IDENTITY_REQUIRE, action, severity)).toBe(rule);
  });
});

describe('a proof of who acts', () => {
  test('holds for its action, workflow and arguments, within five minutes', () => {
    expect(proofProblem(SECRET, proof(), expected, at + 60_000)).toBeUndefined();
    // `by` is not covered: the workflow replaces it with the verified person's name.
    expect(proofProblem(SECRET, proof(), { ...expected, args: { ...args, by: 'Mallory' } }, at)).toBeUndefined();
  });

  test.each([
    ['another secret', (p = proof()) => proofProblem('other', p, expected, at), 'invalid signature'],
    ['another person', (p = proof()) => proofProblem(SECRET, { ...p, person: 'ceo' }, expected, at), 'invalid signature'],
    ['another action', (p = proof()) => proofProblem(SECRET, p, { ...expected, action: 'note' }, at), 'not "note"'],
    ['another workflow', (p = proof()) => proofProblem(SECRET, p, { ...expected, workflowId: 'wf-2' }, at), 'another incident'],
    // The alert group's next incident reuses the workflow id: a proof copied out of history does not carry over.
    [
      'the next incident of its workflow',
      (p = proof()) => proofProblem(SECRET, p, { ...expected, incidentId: 'INC-2' }, at),
      'another incident',
    ],
    [
      'other arguments',
      (p = proof()) => proofProblem(SECRET, p, { ...expected, args: { ...args, resolution: 'nothing' } }, at),
      'other arguments',
    ],
    ['six minutes later', (p = proof()) => proofProblem(SECRET, p, expected, at + 6 * 60_000), 'expired'],
    ['no signature', () => proofProblem(SECRET, { ...proof(), sig: undefined as unknown as string }, expected, at), 'malformed'],
  ])('is refused for %s', (_what, check, problem) => {
    expect(check()).toContain(problem);
  });

  test('digests arguments the same whatever their key order, without by and proof', () => {
    expect(canonicalArgs({ b: 1, a: { d: 2, c: [3] }, by: 'x' })).toBe(canonicalArgs({ a: { c: [3], d: 2 }, b: 1, proof: {} }));
  });
});

test('tokens are 256 random bits; only their SHA-256 is stored', () => {
  const token = newToken();
  expect(token).toMatch(/^inc_[\w-]{43}$/);
  expect(tokenHash(token)).toMatch(/^[0-9a-f]{64}$/);
  expect(newToken()).not.toBe(token);
});
