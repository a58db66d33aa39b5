import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { folderPostgresCannotEnter } from '../dev/embedded-postgres';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/env';
import { temporalConnection } from '../config/temporal-connection';
import { durationMs, formatDuration } from './duration';
import { loadPolicy, parsePolicy, PolicyError } from './load';
import { onCallAt } from './oncall';
import { planEscalation } from '../workflows/escalation';
import { resolveTargets } from './recipients';

const policy = loadPolicy();
const parsePolicyWith = (oncall: object) => parsePolicy({ ...JSON.parse(JSON.stringify(policy)), oncall });
const T0 = Date.parse('2026-03-02T12:00:00Z');
const offsets = (severity: 'P0' | 'P1' | 'P2' | 'P3') =>
  planEscalation(policy, severity, T0)
    .filter((e) => e.cycle === 0)
    .map((e) => [policy.escalation.levels[e.level]!.name, formatDuration(e.atMs - T0)]);

describe('the shipped policy is the plan', () => {
  test('response SLAs per severity', () => {
    expect(Object.fromEntries(Object.entries(policy.severities).map(([s, r]) => [s, r.ackSla]))).toEqual({
      P0: '0s',
      P1: '15m',
      P2: '1h',
      P3: '24h',
    });
  });

  test('escalation path: on-call, engineering lead at 15m, CTO at 30m; CEO at 60m for P0 only', () => {
    expect(offsets('P1')).toEqual([
      ['On-call engineer', '0s'],
      ['Engineering lead', '15m'],
      ['CTO', '30m'],
    ]);
    // P0 pages every level at once, CEO included.
    expect(offsets('P0')).toEqual([
      ['On-call engineer', '0s'],
      ['Engineering lead', '0s'],
      ['CTO', '0s'],
      ['CEO', '0s'],
    ]);
    // A slower SLA starts escalating later and keeps the plan's gaps.
    expect(offsets('P2')).toEqual([
      ['On-call engineer', '0s'],
      ['Engineering lead', '1h'],
      ['CTO', '1h15m'],
    ]);
  });

  test('repeats are capped and follow the last level', () => {
    const plan = planEscalation(policy, 'P1', T0);
    const cycles = Math.max(...plan.map((e) => e.cycle));
    expect(cycles).toBe(policy.escalation.repeat.times);
    expect(cycles).toBeLessThanOrEqual(9);
    expect(formatDuration(plan.find((e) => e.cycle === 1)!.atMs - T0)).toBe('45m');
  });

  test('phase budgets, status cadence and executive notification', () => {
    expect(policy.phaseBudgets).toEqual({ detect: '5m', triage: '15m', contain: '30m', investigate: '2h', resolve: '4h' });
    expect([
      policy.severities.P0.statusUpdateEvery,
      policy.severities.P1.statusUpdateEvery,
      policy.severities.P2.statusUpdateEvery,
    ]).toEqual(['30m', '30m', '1h']);
    expect(policy.severities.P3.statusUpdateEvery).toBeUndefined();
    expect(policy.severities.P0.executiveNotifyWithin).toBe('15m');
  });

  test('the 4-week on-call rotation hands off weekly', () => {
    const start = Date.parse(policy.oncall.start);
    const week = durationMs('7d');
    expect([0, 1, 2, 3, 4].map((w) => onCallAt(policy, start + w * week + 1000).now.contactId)).toEqual([
      'engineer-a',
      'engineer-b',
      'engineer-c',
      'engineer-d',
      'engineer-a',
    ]);
    expect(onCallAt(policy, start - 1000).now.contactId).toBe('engineer-d');
    const { now, next } = onCallAt(policy, start + 1000);
    expect(next).toMatchObject({ contactId: 'engineer-b', from: now.to });
  });

  test('a weekly handoff at a local day, hour and timezone follows daylight saving time', () => {
    const berlin = parsePolicyWith({
      rotation: ['engineer-a', 'engineer-b', 'engineer-c', 'engineer-d'],
      start: '2026-01-05T08:00:00Z',
      shift: '7d',
      handoff: { day: 'monday', hour: 9, timezone: 'Europe/Berlin' },
    });
    const at = (iso: string) => onCallAt(berlin, Date.parse(iso));
    expect(at('2026-01-05T07:59:00Z').now.contactId).toBe('engineer-d');
    expect(at('2026-01-05T08:00:00Z').now).toEqual({
      contactId: 'engineer-a',
      from: '2026-01-05T08:00:00.000Z',
      to: '2026-01-12T08:00:00.000Z',
    });
    // Summer time began on 29 March: 09:00 in Berlin is now 07:00 UTC.
    expect(at('2026-03-30T06:59:00Z').now).toMatchObject({ contactId: 'engineer-d', to: '2026-03-30T07:00:00.000Z' });
    expect(at('2026-03-30T07:00:00Z').now).toMatchObject({ contactId: 'engineer-a', from: '2026-03-30T07:00:00.000Z' });
    // And back to 08:00 UTC after 25 October.
    expect(at('2026-11-02T08:00:00Z').now).toMatchObject({ contactId: 'engineer-d', from: '2026-11-02T08:00:00.000Z' });
    expect(() => parsePolicyWith({ ...berlin.oncall, handoff: { day: 'monday', hour: 9, timezone: 'Mars/Olympus' } })).toThrow(
      /oncall\.handoff\.timezone/,
    );
  });

  test('targets resolve to contacts; the commander falls back to the incident-commander role', () => {
    const resolved = resolveTargets(policy, ['oncall', 'role:cto', 'commander'], { nowMs: Date.parse(policy.oncall.start) + 1000 });
    expect(resolved.recipients.map((r) => r.contact.id)).toEqual(['engineer-a', 'cto', 'ic']);
    expect(resolveTargets(policy, ['commander'], { nowMs: T0, commander: 'dba' }).recipients[0]!.contact.id).toBe('dba');
  });
});

describe('a bad policy file is refused with its path and the field', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  const base = JSON.parse(JSON.stringify(policy)) as Record<string, any>;

  test('invalid duration', () => {
    const file = write(
      'bad-duration.json',
      JSON.stringify({ ...base, severities: { ...base.severities, P1: { ...base.severities.P1, ackSla: 'soon' } } }),
    );
    expect(() => loadPolicy(file)).toThrow(PolicyError);
    expect(() => loadPolicy(file)).toThrow(new RegExp(`${file}[\\s\\S]*severities\\.P1\\.ackSla`));
  });

  test('unknown contact in the rotation and a role nobody holds', () => {
    const bad = {
      ...base,
      oncall: { ...base.oncall, rotation: ['engineer-a', 'ghost'] },
      notify: { ...base.notify, executives: ['role:board'] },
    };
    const file = write('bad-refs.json', JSON.stringify(bad));
    expect(() => loadPolicy(file)).toThrow(/oncall\.rotation\.1: unknown contact "ghost"/);
    expect(() => loadPolicy(file)).toThrow(/notify\.executives\.0: no contact holds role "board"/);
  });

  test('more than 9 repeats', () => {
    const file = write(
      'repeats.json',
      JSON.stringify({ ...base, escalation: { ...base.escalation, repeat: { times: 12, interval: '5m' } } }),
    );
    expect(() => loadPolicy(file)).toThrow(/escalation\.repeat\.times/);
  });

  test('unreadable JSON', () => {
    const file = write('broken.json', '{ "name": ');
    expect(() => loadPolicy(file)).toThrow(new RegExp(`cannot read policy file ${file}`));
  });
});

describe('configuration', () => {
  test('defaults', () => {
    expect(loadConfig({})).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TASK_QUEUE: 'incidents', TEMPORAL_UI_PORT: 8233 });
  });
  test('a bad variable is named', () => {
    expect(() => loadConfig({ TEMPORAL_UI_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_UI_PORT: 'eighty' })).toThrow(/TEMPORAL_UI_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must start with postgres/);
    expect(() => loadConfig({ SMTP_URL: 'not a url' })).toThrow(/SMTP_URL/);
  });
  test('Temporal behind mTLS or an API key: files read at start, a bad one named', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-'));
    for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(path.join(dir, name), `-----BEGIN ${name}-----`);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem') })).toThrow(
      /TEMPORAL_TLS_KEY: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set together/,
    );
    const mtls = temporalConnection(
      loadConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
      }),
    );
    expect(mtls.tls).toMatchObject({ clientCertPair: { crt: Buffer.from('-----BEGIN client.pem-----') } });
    expect(temporalConnection(loadConfig({ TEMPORAL_API_KEY: 'k' }))).toMatchObject({ apiKey: 'k', tls: {} });
    expect(temporalConnection(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
    expect(() => temporalConnection(loadConfig({ TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') }))).toThrow(
      /TEMPORAL_TLS_CA: cannot read .*missing\.pem: ENOENT/,
    );
  });
});

test('as root, a data folder the postgres user cannot reach is named with what to do', () => {
  const locked = mkdtempSync(path.join(os.tmpdir(), 'locked-')); // mkdtemp makes it 0700
  expect(folderPostgresCannotEnter(path.join(locked, '.data'))).toEqual({ dir: locked, mode: '0700' });
  const open = mkdtempSync(path.join(os.tmpdir(), 'open-'));
  chmodSync(open, 0o755);
  expect(folderPostgresCannotEnter(path.join(open, '.data'))).toBeUndefined();
});
