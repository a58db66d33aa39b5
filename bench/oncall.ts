/**
 * `npm run bench:oncall`: what the pure schedule resolver and the router cost, beside floors measured in
 * the same run. (1) Who is on call every hour of a year for 50 teams of 3 layers (a weekly backstop and
 * two restricted layers in other zones), against a plain loop picking a member per hour. (2) 10,000 alerts
 * through 200 routes, against a plain loop comparing the same labels. Prints a table; asserts nothing.
 */
import { parsePolicy } from '../policy/load';
import { scheduleAt } from '../policy/schedules';
import type { PolicyInput } from '../policy/schema';
import type { Schedule } from '../policy/teams-schema';
import { compileRoutes, routeAlert } from '../policy/teams';
import defaultPolicy from '../policy/default-policy.json';

const TEAMS = Number(process.env.BENCH_TEAMS ?? 50);
const ROUTES = Number(process.env.BENCH_ROUTES ?? 200);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const HOUR = 3_600_000;
const YEAR_HOURS = 365 * 24;
const ZONES = ['America/Los_Angeles', 'Europe/London', 'Asia/Tokyo', 'Australia/Sydney', 'America/New_York'];
const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;

function schedules(): Schedule[] {
  return Array.from({ length: TEAMS }, (_, i) => ({
    id: `team-${i}`,
    timeZone: ZONES[i % ZONES.length]!,
    layers: [
      { name: 'backstop', members: ['a', 'b', 'c', 'd'], start: '2026-01-05T09:00', length: '1w' },
      {
        name: 'day',
        members: ['e', 'f'],
        start: '2026-01-05T08:00',
        length: '1d',
        timeZone: ZONES[(i + 1) % ZONES.length]!,
        restrictions: [{ days: [...weekdays], from: '08:00', to: '16:00' }],
      },
      {
        name: 'evening',
        members: ['g', '-', 'h'],
        start: '2026-01-05T16:00',
        length: '12h',
        timeZone: ZONES[(i + 2) % ZONES.length]!,
        restrictions: [{ from: '16:00', to: '23:00' }],
      },
    ],
  }));
}

function time(fn: () => number): { ms: number; check: number } {
  fn(); // warm up
  const t = performance.now();
  const check = fn();
  return { ms: performance.now() - t, check };
}

function main() {
  const all = schedules();
  const from = Date.parse('2026-01-01T00:00:00Z');
  const lookups = TEAMS * YEAR_HOURS;
  const resolver = time(() => {
    let n = 0;
    for (const s of all) for (let h = 0; h < YEAR_HOURS; h++) if (scheduleAt(s, from + h * HOUR).contactId) n++;
    return n;
  });
  const floor = time(() => {
    let n = 0;
    const members = ['a', 'b', 'c', 'd'];
    for (let t = 0; t < TEAMS; t++) for (let h = 0; h < YEAR_HOURS; h++) if (members[Math.floor(h / 168) % 4]) n++;
    return n;
  });

  const routes = Array.from({ length: ROUTES }, (_, i) => ({
    matchers: i % 2 ? [`alertname=~"Svc${i}.*"`, 'env!="staging"'] : [`job="job-${i}"`, `team="t${i % 7}"`],
    service: `svc-${i}`,
  }));
  const base = structuredClone(defaultPolicy) as unknown as PolicyInput;
  const policy = parsePolicy({
    ...base,
    schedules: [{ id: 's', timeZone: 'UTC', layers: [{ name: 'l', members: ['ic'], start: '2026-01-05T09:00', length: '1w' }] }],
    escalationPolicies: [{ id: 'e', levels: [{ name: 'L0', targets: ['schedule:s'], after: '0s' }] }],
    teams: [{ id: 't', name: 'T', schedule: 's', escalationPolicy: 'e' }],
    services: routes.map((r) => ({ id: r.service, team: 't' })),
    routes,
    defaultService: 'svc-0',
  });
  // Alerts matching routes spread over the table (and some none): the router scans on average half of it.
  const alerts = Array.from({ length: ALERTS }, (_, i): Record<string, string> => {
    const r = i % (ROUTES + 20);
    return r % 2 ? { alertname: `Svc${r}Down`, env: 'prod' } : { job: `job-${r}`, team: `t${r % 7}`, alertname: 'X' };
  });
  const compiled = compileRoutes(policy);
  const router = time(() => alerts.reduce((n, labels) => n + (routeAlert(policy, labels, compiled).via === 'default' ? 0 : 1), 0));
  const plain = routes.map((r) => r.service);
  const routeFloor = time(() =>
    alerts.reduce(
      (n, labels) => n + (plain.findIndex((_, i) => (i % 2 ? labels.env === 'prod' : labels.job === `job-${i}`)) >= 0 ? 1 : 0),
      0,
    ),
  );

  const row = (what: string, count: number, t: { ms: number }, f: { ms: number }) =>
    `| ${what} | ${count.toLocaleString('en')} | ${t.ms.toFixed(0)} | ${((t.ms * 1000) / count).toFixed(2)} | ${f.ms.toFixed(1)} | ${(t.ms / f.ms).toFixed(0)}× |`;
  console.log(`| Work | Count | ms | µs each | Floor ms (plain loop) | Over floor |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  console.log(row(`Who is on call, ${TEAMS} teams × 3 layers, every hour of a year`, lookups, resolver, floor));
  console.log(row(`Routing alerts through ${ROUTES} routes`, ALERTS, router, routeFloor));
  console.log(`\n(checks: ${resolver.check} hours with someone on call of ${lookups}; ${router.check} alerts routed by a route)`);
}

main();
