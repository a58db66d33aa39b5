import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPolicy, parsePolicy, PolicyError } from './load';
import { compileRoutes, componentsOf, incidentPolicy, matches, ownershipOf, parseMatcher, routeAlert, routeService } from './teams';

const shipped = loadPolicy();
const exampleJson = JSON.parse(readFileSync(path.join(__dirname, 'examples/three-teams.json'), 'utf8')) as Record<string, unknown>;
const example = parsePolicy(exampleJson);
const problemsOf = (change: (p: Record<string, unknown>) => void) => {
  const copy = structuredClone(exampleJson);
  change(copy);
  try {
    parsePolicy(copy);
    return '';
  } catch (error) {
    return (error as PolicyError).message;
  }
};

describe('a single-team policy is one team', () => {
  test("today's default-policy.json loads unchanged as one team owning every service, on its own escalation path", () => {
    const raw = JSON.parse(readFileSync(path.join(__dirname, 'default-policy.json'), 'utf8'));
    expect(raw.teams).toBeUndefined();
    const own = ownershipOf(shipped);
    expect(own.teams.map((t) => t.id)).toEqual(['default']);
    expect(own.escalationPolicies[0]!.levels).toEqual(shipped.escalation.levels);
    expect(routeAlert(shipped, { alertname: 'X', service: 'api' })).toEqual({ service: 'api', team: 'default', via: 'the only team' });
    // Its incidents run on the policy exactly as before.
    expect(incidentPolicy(shipped, { team: 'default', service: 'api' })).toBe(shipped);
  });
});

describe('routing an alert to a service and its team', () => {
  test('the service label names a service; the team label a team; else the first route that matches', () => {
    expect(routeAlert(example, { service: 'redis', alertname: 'PostgresDown' })).toMatchObject({
      service: 'redis',
      team: 'db',
      via: 'label service',
    });
    expect(routeAlert(example, { team: 'payments', job: 'checkout' })).toMatchObject({
      service: 'checkout',
      team: 'payments',
      via: 'label team',
    });
    expect(routeAlert(example, { alertname: 'PostgresTooManyConnections' })).toMatchObject({
      service: 'postgres',
      team: 'db',
      via: 'route 1',
    });
    expect(routeAlert(example, { alertname: 'HighLatency', namespace: 'payments', env: 'prod' })).toMatchObject({
      service: 'payments-api',
      team: 'payments',
      via: 'route 3',
    });
    // env!="staging" keeps staging out of the payments route; the regex route catches the frontend job.
    expect(routeAlert(example, { alertname: 'HighLatency', namespace: 'payments', env: 'staging' })).toMatchObject({ via: 'default' });
    expect(routeAlert(example, { job: 'frontend' })).toMatchObject({ service: 'web', team: 'platform', via: 'route 4' });
  });

  test("a service's own matchers identify it after the routes", () => {
    const own = parsePolicy({
      ...exampleJson,
      services: (exampleJson.services as { id: string }[]).map((s) =>
        s.id === 'redis' ? { ...s, matchers: ['alertname=~"Redis.*"', 'env!="staging"'] } : s,
      ),
    });
    expect(routeAlert(own, { alertname: 'RedisMemoryHigh', env: 'prod' })).toMatchObject({
      service: 'redis',
      team: 'db',
      via: 'labels of service redis',
    });
    expect(routeAlert(own, { alertname: 'RedisMemoryHigh', env: 'staging' })).toMatchObject({ via: 'default' });
    // The policy's routes come first: a Postgres alert still goes by route 1.
    expect(routeAlert(own, { alertname: 'PostgresDown' })).toMatchObject({ via: 'route 1' });
    expect(problemsOf((p) => ((p.services as { matchers?: string[] }[])[0]!.matchers = ['team=db']))).toContain('a matcher such as');
  });

  test("a service's runbooks attach to each of its incidents; an unknown runbook is refused", () => {
    const withRunbooks = parsePolicy({
      ...exampleJson,
      services: (exampleJson.services as { id: string }[]).map((s) => (s.id === 'redis' ? { ...s, runbooks: ['redis-memory-full'] } : s)),
    });
    const always = (service: string, team: string) =>
      incidentPolicy(withRunbooks, { team, service })
        .runbooks.definitions.filter((d) => d.match.always)
        .map((d) => d.id);
    expect(always('redis', 'db')).toContain('redis-memory-full');
    expect(always('postgres', 'db')).not.toContain('redis-memory-full');
    expect(problemsOf((p) => ((p.services as { runbooks?: string[] }[])[0]!.runbooks = ['reboot-the-world']))).toContain(
      'unknown runbook "reboot-the-world"',
    );
  });

  test('an alert of no known service goes to the default service team, and says so', () => {
    const routed = routeAlert(example, { alertname: 'DiskFull', service: 'billing-batch' });
    expect(routed).toEqual({
      service: 'billing-batch',
      team: 'platform',
      via: 'default',
      note: 'No service "billing-batch" in the policy: routed to team platform (default service api)',
    });
  });

  test('matchers work as Alertmanager: anchored regular expressions, a missing label is empty', () => {
    expect(matches(parseMatcher('alertname=~"Postgres.*"'), { alertname: 'PostgresDown' })).toBe(true);
    expect(matches(parseMatcher('alertname=~"Postgres"'), { alertname: 'PostgresDown' })).toBe(false);
    expect(matches(parseMatcher('alertname!~"Postgres.*"'), { alertname: 'Redis' })).toBe(true);
    expect(matches(parseMatcher('env!="staging"'), {})).toBe(true);
    expect(matches(parseMatcher('env=""'), {})).toBe(true);
    expect(matches(parseMatcher('msg="say \\"hi\\""'), { msg: 'say "hi"' })).toBe(true);
    expect(compileRoutes(example).map((r) => r.service)).toEqual(['postgres', 'redis', 'payments-api', 'web']);
  });

  test('a declared service is checked against the policy', () => {
    expect(routeService(example, 'postgres')).toMatchObject({ team: 'db', via: 'service' });
    expect(routeService(example, 'ledger', 'payments')).toMatchObject({ team: 'payments', via: 'team' });
    expect(routeService(example, 'ledger')).toMatchObject({ team: 'platform', via: 'default', note: expect.stringContaining('"ledger"') });
    // A team the policy does not know is said on the timeline: the service's team (or the default) owns it.
    expect(routeService(example, 'postgres', 'dba')).toEqual({
      service: 'postgres',
      team: 'db',
      via: 'service',
      note: 'No team "dba" in the policy: routed to team db, the owner of service postgres',
    });
    expect(routeService(example, 'ledger', 'dba').note).toBe(
      'No team "dba" in the policy: No service "ledger" in the policy: routed to team platform (default service api)',
    );
  });
});

describe("an incident runs on its service's escalation policy", () => {
  test("the owning team's schedules, levels and repeats replace the single path", () => {
    const db = incidentPolicy(example, { team: 'db', service: 'postgres' });
    expect(db.escalation.levels.map((l) => [l.name, l.targets, l.after])).toEqual([
      ['Database on-call', ['schedule:db-primary'], '0s'],
      ['Database secondary', ['schedule:db-secondary'], '10m'],
      ['Engineering lead', ['role:engineering-lead'], '30m'],
    ]);
    expect(db.escalation.repeat).toEqual({ times: 2, interval: '15m' });
    // "team:<id>" is that team's schedule.
    const payments = incidentPolicy(example, { team: 'payments', service: 'payments-api' });
    expect(payments.escalation.levels.map((l) => l.targets)).toEqual([
      ['schedule:payments'],
      ['schedule:platform-follow-the-sun'],
      ['role:engineering-lead'],
    ]);
  });
});

describe('status page components', () => {
  test('a service is shown under the components listing it and the one it names; a single-team policy as before', () => {
    expect(componentsOf(example, 'payments-api')).toEqual(['checkout']);
    expect(componentsOf(example, 'postgres')).toEqual(['data']);
    expect(componentsOf(example, 'web')).toEqual(['website']);
    expect(componentsOf(example, 'unknown')).toEqual([]);
    expect(componentsOf(shipped, 'api')).toEqual(['api']);
    expect(problemsOf((p) => ((p.services as { component?: string }[])[0]!.component = 'payments'))).toContain(
      'services.0.component: unknown status page component "payments"',
    );
  });
});

describe('the worked example', () => {
  test('three teams, five services, four schedules, three escalation policies', () => {
    expect(example.teams.map((t) => t.id)).toEqual(['platform', 'db', 'payments']);
    expect(example.services).toHaveLength(5);
    expect(example.schedules.find((s) => s.id === 'platform-follow-the-sun')!.layers.map((l) => l.timeZone ?? 'UTC')).toEqual([
      'UTC',
      'America/Los_Angeles',
      'Europe/London',
      'Australia/Sydney',
    ]);
  });

  test('a reference to nothing is refused with its path and the ids there are', () => {
    expect(problemsOf((p) => ((p.teams as { schedule: string }[])[1]!.schedule = 'db-main'))).toContain(
      'teams.1.schedule: unknown schedule "db-main" (platform-follow-the-sun, db-primary, db-secondary, payments)',
    );
    expect(problemsOf((p) => ((p.routes as { service: string }[])[0]!.service = 'pg'))).toContain('routes.0.service: unknown service "pg"');
    expect(problemsOf((p) => ((p.routes as { matchers: string[] }[])[0]!.matchers = ['alertname=~"("']))).toContain(
      'the regular expression does not compile',
    );
    expect(problemsOf((p) => ((p.routes as { matchers: string[] }[])[0]!.matchers = ['alertname ~ Postgres']))).toContain(
      'a matcher such as team="db"',
    );
    expect(
      problemsOf((p) => ((p.escalationPolicies as { levels: { targets: string[] }[] }[])[0]!.levels[0]!.targets = ['team:infra'])),
    ).toContain('unknown team "infra"');
    expect(problemsOf((p) => ((p.schedules as { layers: { members: string[] }[] }[])[1]!.layers[0]!.members = ['zed']))).toContain(
      'schedules.1.layers.0.members.0: unknown contact "zed"',
    );
    expect(problemsOf((p) => ((p.schedules as { layers: { length: string }[] }[])[1]!.layers[0]!.length = '90m'))).toContain(
      'a rotation length in hours, days or weeks',
    );
  });
});
