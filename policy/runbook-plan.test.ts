import { isReadOnly } from './read-only-commands';
import defaultPolicy from './default-policy.json';
import { parsePolicy } from './load';
import { checkParam } from './runbook-params';
import type { PolicyInput } from './schema';
import { describeCommand, matchRunbooks, planRunbook, runbookHost } from './runbook-plan';

const policy = parsePolicy(defaultPolicy, 'default');

/** The worst labels an attacker can put on an alert. */
export const INJECTION_CORPUS = [
  '$(touch /tmp/runbook-pwned)',
  '`touch /tmp/runbook-pwned`',
  'db1; touch /tmp/runbook-pwned',
  'db1 | touch /tmp/runbook-pwned',
  'db1 && touch /tmp/runbook-pwned',
  'db1\ntouch /tmp/runbook-pwned',
  'db1\0touch',
  'x'.repeat(10_000),
  'zëkka.service',
  '../../etc/passwd',
  '/var/log/../../etc/shadow',
  '--help',
  '-rf',
  '10.0.0.1/0',
  '',
];

describe('typed parameters', () => {
  test.each([
    ['ipv4', '10.1.2.3', true],
    ['ipv4', '10.1.2.256', false],
    ['ipv4', '010.1.2.3', false],
    ['ipv6', '2001:db8::1', true],
    ['ipv6', '::ffff:10.0.0.1', true],
    ['ipv6', '2001:db8:::1', false],
    ['ip', 'fe80::1', true],
    ['ip', 'example.com', false],
    ['hostname', 'db-1.internal', true],
    ['hostname', 'db_1', false],
    ['integer', '600', true],
    ['integer', '-5', false],
    ['integer', '1e3', false],
  ] as const)('%s %j -> %s', (type, value, ok) => {
    expect(checkParam({ type }, value).ok).toBe(ok);
  });

  test('paths must be normalised and under an allowed prefix', () => {
    const rule = { type: 'path' as const, prefixes: ['/var/log', '/opt/app'] };
    expect(checkParam(rule, '/var/log/nginx')).toEqual({ ok: true, value: '/var/log/nginx' });
    expect(checkParam(rule, '/var/logs')).toMatchObject({ ok: false });
    expect(checkParam(rule, '/var/log/../../etc')).toMatchObject({ ok: false });
    expect(checkParam(rule, '/var/log//x')).toMatchObject({ ok: false });
    expect(checkParam(rule, 'var/log')).toMatchObject({ ok: false });
  });

  test('enums accept only their values; host names may carry a port', () => {
    expect(checkParam({ type: 'enum', values: ['nginx'] }, 'nginx').ok).toBe(true);
    expect(checkParam({ type: 'enum', values: ['nginx'] }, 'nginx2').ok).toBe(false);
    expect(checkParam({ type: 'hostname', stripPort: true }, 'db-1:9187')).toEqual({ ok: true, value: 'db-1' });
  });
});

describe('the injection corpus through every shipped runbook', () => {
  const defs = policy.runbooks.definitions;
  const labelNames = [...new Set(defs.flatMap((d) => [d.host.label, ...d.params.flatMap((p) => (p.label ? [p.label] : []))]))];

  test.each(INJECTION_CORPUS.map((v) => [JSON.stringify(v).slice(0, 60), v]))('%s is never planned into a command', (_name, value) => {
    const labels = Object.fromEntries(labelNames.map((l) => [l, value]));
    for (const def of defs) {
      for (const plan of planRunbook(def, labels, { incidentId: 'INC-1', nowMs: Date.UTC(2026, 10, 27) })) {
        const usesLabel = def.params.some((p) => p.label && p.name in plan.params) || (value !== '' && plan.kind !== 'notify');
        const rendered = JSON.stringify([plan.argv, plan.sqlArgs, plan.host, plan.queue]);
        if (value !== '') expect(rendered).not.toContain(value);
        if (usesLabel && value !== '') expect(plan.skip).toBeTruthy();
      }
      // With a sound host, each parameter's own check must catch the value.
      const { [def.host.label]: _host, ...paramLabels } = labels;
      for (const plan of planRunbook(def, paramLabels, { incidentId: 'INC-1', nowMs: 0 })) {
        const step = def.steps.find((s) => s.id === plan.step)!;
        const templates = [...(step.argv ?? []), ...step.args].join(' ');
        const fromLabel = def.params.filter((p) => p.label && templates.includes(`{${p.name}}`));
        if (value !== '') expect(JSON.stringify([plan.argv, plan.sqlArgs])).not.toContain(value);
        if (fromLabel.length > 0 && value !== '') expect(plan.skip).toMatch(/^parameter \{/);
        if (fromLabel.length === 0) expect(plan.skip).toBeUndefined();
      }
    }
  });

  test('an empty label falls back to the default, and a missing required value skips with its reason', () => {
    const ddos = defs.find((d) => d.id === 'ddos')!;
    const block = planRunbook(ddos, {}, { incidentId: 'INC-1', nowMs: 0 }).find((p) => p.step === 'block-ip')!;
    expect(block.skip).toBe('parameter {source_ip} has no value (no "source_ip" label on the alert)');
    const ok = planRunbook(ddos, { source_ip: '203.0.113.9' }, { incidentId: 'INC-1', nowMs: 0 }).find((p) => p.step === 'block-ip')!;
    expect(ok.argv).toEqual(['ufw', 'deny', 'from', '203.0.113.9']);
    expect(describeCommand(ok)).toBe('ufw deny from 203.0.113.9');
  });
});

describe('matching and routing', () => {
  test('alert names pick the scenario; the diagnostics examples come only on request; instance routes to its host', () => {
    const matches = matchRunbooks(policy.runbooks, [
      { fingerprint: 'f1', name: 'PostgresTooManyConnections', status: 'firing', labels: { instance: 'db-1:9187' } },
    ]);
    expect(matches.map((m) => m.id).sort()).toEqual(['db-connection-pool']);
    // "always" brings a runbook to every incident: the shipped diagnostics leave that to the user.
    const always = {
      ...policy.runbooks,
      definitions: policy.runbooks.definitions.map((d) => ({ ...d, match: { ...d.match, always: true } })),
    };
    expect(matchRunbooks(always, [{ fingerprint: 'f2', name: 'Other', status: 'firing', labels: {} }]).map((m) => m.id)).toContain(
      'triage-diagnostics',
    );
    const def = policy.runbooks.definitions.find((d) => d.id === 'db-connection-pool')!;
    const plans = planRunbook(def, matches[0]!.labels, { incidentId: 'INC-1', nowMs: 0 });
    expect(plans.every((p) => p.queue === 'runbook-db-1')).toBe(true);
    expect(plans.find((p) => p.step === 'terminate-idle')).toMatchObject({ approval: 'required', sqlArgs: ['600'] });
  });
});

describe('runbook policy validation names what is wrong', () => {
  const withStep = (step: object) => {
    const raw = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
    raw.runbooks!.definitions = [{ id: 'bad', title: 'Bad', steps: [step as never] }];
    return () => parsePolicy(raw, 'test');
  };
  test.each([
    [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['bash', '-c', 'id'] }, '"bash" is not in runbooks.executables'],
    [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['df', '{nope}'] }, 'unknown parameter {nope}'],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'sql', database: 'app', sql: "SELECT '{x}'" },
      'values go in args as $1..$n, never into the SQL text',
    ],
    [
      { id: 's', title: 'x', phase: 'contain', kind: 'sql', database: 'app', sql: 'SELECT 1 AS pid', action: 'terminate-backends' },
      'terminating sessions requires approval',
    ],
    [
      { id: 's', title: 'x', phase: 'contain', kind: 'shell', argv: ['systemctl', 'restart', 'nginx'] },
      '"systemctl restart nginx" is not known to only read: its step must have approval "required"',
    ],
    [
      { id: 's', title: 'x', phase: 'contain', kind: 'shell', argv: ['find', '/var/log', '-mtime', '+7', '-delete'] },
      'is not known to only read',
    ],
    [{ id: 's', title: 'x', phase: 'contain', kind: 'shell', argv: ['redis-cli', 'FLUSHDB'] }, 'is not known to only read'],
    [{ id: 's', title: 'x', phase: 'contain', kind: 'shell', argv: ['ufw', 'deny', 'from', '10.0.0.1'] }, 'is not known to only read'],
    // The audit's findings: a deny-list let these through with approval "none"; the allow-list does not.
    [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['systemctl', 'reboot'] }, 'is not known to only read'],
    [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['systemctl', 'poweroff'] }, 'is not known to only read'],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['redis-cli', 'REPLICAOF', 'evil', '6379'] },
      'is not known to only read',
    ],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['redis-cli', 'ACL', 'SETUSER', 'x', 'on'] },
      'is not known to only read',
    ],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['redis-cli', 'MODULE', 'LOAD', '/tmp/x.so'] },
      'is not known to only read',
    ],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['find', '/var/log', '-fls', '/etc/cron.d/x'] },
      'is not known to only read',
    ],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['openssl', 'x509', '-in', '/a.pem', '-out', '/b.pem'] },
      'is not known to only read',
    ],
    [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['ss', '-K', 'dst', '10.0.0.1'] }, 'is not known to only read'],
    [
      {
        id: 's',
        title: 'x',
        phase: 'detect',
        kind: 'sql',
        database: 'app',
        sql: 'SELECT 1; COPY (SELECT 1) TO PROGRAM $$id$$',
      },
      'one statement per step: no ";" inside the SQL',
    ],
    [
      { id: 's', title: 'x', phase: 'detect', kind: 'sql', database: 'app', sql: 'COMMIT; CREATE TABLE x (a int)' },
      'one statement per step',
    ],
  ])('%j', (step, message) => {
    expect(withStep(step)).toThrow(message);
  });
});

describe('a step without approval must only read, for every value of its parameters', () => {
  const withRunbook = (def: object) => {
    const raw = JSON.parse(JSON.stringify(defaultPolicy)) as PolicyInput;
    raw.runbooks!.definitions = [def as never];
    return () => parsePolicy(raw, 'test');
  };
  test('"systemctl {verb}" with an enum that includes a changing verb is refused, naming the value', () => {
    const def = {
      id: 'svc',
      title: 'Service',
      params: [{ name: 'verb', type: 'enum', values: ['status', 'restart'] }],
      steps: [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['systemctl', '{verb}', 'nginx'] }],
    };
    expect(withRunbook(def)).toThrow('"systemctl restart nginx" is not known to only read');
    def.params[0]!.values = ['status', 'is-active'];
    expect(withRunbook(def)).not.toThrow();
  });
  test('a free-form parameter in the verb position needs approval', () => {
    const def = {
      id: 'svc',
      title: 'Service',
      params: [{ name: 'verb', type: 'word', default: 'status' }],
      steps: [{ id: 's', title: 'x', phase: 'detect', kind: 'shell', argv: ['systemctl', '{verb}', 'nginx'] }],
    };
    expect(withRunbook(def)).toThrow('"systemctl {verb} nginx" is not known to only read');
  });
  test.each([
    ['systemctl -o cat stop nginx', false],
    ['systemctl --output=cat restart nginx', false],
    ['systemctl -H other status nginx', false],
    ['systemctl --no-pager -n 50 status nginx', true],
    ['systemctl -o json show nginx', true],
    ['openssl s_client -engine pkcs11 -connect example.com:443', false],
    ['openssl x509 -provider legacy -in cert.pem', false],
    ['openssl s_client -ssl_client_engine e -connect example.com:443', false],
    ['openssl x509 -in cert.pem -noout -dates', true],
    ['ss -D /tmp/dump -tan', false],
    ['ss --diag=/tmp/dump', false],
    ['ss -tanD /tmp/dump', false],
    ['ss -tan', true],
    ['redis-cli -h other.example INFO', false],
    ['redis-cli -u redis://other.example INFO', false],
    ['redis-cli -h 127.0.0.1 INFO', true],
    ['redis-cli INFO', true],
  ])('%s only reads: %s', (line, expected) => {
    expect(isReadOnly(line.split(' '))).toBe(expected);
  });

  test('every shipped read-only step passes', () => {
    for (const def of (defaultPolicy as PolicyInput).runbooks!.definitions!)
      for (const step of def.steps.filter((s) => s.kind === 'shell' && s.approval !== 'required'))
        expect([step.argv!.join(' '), isReadOnly(step.argv!.map((t) => t.replace(/\{service\}/, 'nginx')))]).toEqual([
          step.argv!.join(' '),
          true,
        ]);
  });
});

describe('which runbook host serves an alert', () => {
  const def = parsePolicy(defaultPolicy, 'shipped').runbooks.definitions.find((d) => d.id === 'triage-diagnostics')!;
  const hosts = [
    { instance: 'db-*', host: 'db' },
    { instance: 'web-*.example.com', host: '{instance}' },
  ];
  test.each([
    [{ instance: 'db-1:9187' }, { host: 'db' }],
    [{ instance: 'web-2.example.com:9100' }, { host: 'web-2.example.com' }],
    [{}, { host: 'local' }],
  ])('%j → %j', (labels, expected) => expect(runbookHost(def, labels, hosts)).toEqual(expected));
  test('an instance no entry fits runs on the default host, and says so', () => {
    expect(runbookHost(def, { instance: 'cache-9:9121' }, hosts)).toEqual({
      host: 'local',
      note: 'instance cache-9 maps to no runbook host (runbooks.hosts): its steps run on local',
    });
  });
  test('without a host list (policies from before it) the instance is the host', () => {
    expect(runbookHost(def, { instance: 'cache-9:9121' })).toEqual({ host: 'cache-9' });
  });
});
