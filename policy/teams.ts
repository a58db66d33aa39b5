// Pure: imported by the HTTP server (routing), the worker (an incident's policy) and the CLI.
/**
 * Ownership: which service an alert is about, which team owns it, and the policy an incident of that
 * service runs on (its escalation policy, its team's schedule as "the on-call"). A policy without teams
 * is one team: "default", owning every service, with the policy's own escalation path and rotation.
 */
import type { ResponsePolicy } from './schema';
import { duringOf } from './business-hours';
import type { EscalationPolicy, Route, Schedule, Service, Team } from './teams-schema';

/** An Alertmanager-style matcher: name="value", name!="value", name=~"regex", name!~"regex". */
export const MATCHER_PATTERN = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

export const DEFAULT_TEAM = 'default';

export interface Ownership {
  teams: Team[];
  services: Service[];
  escalationPolicies: EscalationPolicy[];
  schedules: Schedule[];
  defaultService?: string;
}

/** The policy's teams, or the one team a single-team policy is. */
export function ownershipOf(policy: ResponsePolicy): Ownership {
  if (policy.teams.length) return policy;
  return {
    teams: [
      { id: DEFAULT_TEAM, name: policy.name, members: policy.contacts.map((c) => c.id), schedule: '', escalationPolicy: DEFAULT_TEAM },
    ],
    services: [],
    escalationPolicies: [{ id: DEFAULT_TEAM, levels: policy.escalation.levels, repeat: policy.escalation.repeat }],
    schedules: [],
  };
}

export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  regex?: RegExp;
}

const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

export function parseMatcher(text: string): Matcher {
  const m = MATCHER_PATTERN.exec(text);
  if (!m) throw new Error(`not a matcher: ${text}`);
  const op = m[2] as Matcher['op'];
  const value = op === '=~' || op === '!~' ? m[3]! : unescape(m[3]!);
  // Anchored, as Alertmanager anchors its regular expressions.
  return { name: m[1]!, op, value, ...(op === '=~' || op === '!~' ? { regex: new RegExp(`^(?:${value})$`) } : {}) };
}

/** A missing label matches as the empty string, as in Alertmanager. */
export function matches(matcher: Matcher, labels: Record<string, string>): boolean {
  const v = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return v === matcher.value;
    case '!=':
      return v !== matcher.value;
    case '=~':
      return matcher.regex!.test(v);
    case '!~':
      return !matcher.regex!.test(v);
  }
}

export interface CompiledRoute {
  matchers: Matcher[];
  service: string;
  /** How the timeline says it was chosen: "route 2", "labels of service web". */
  via: string;
}

/**
 * The policy's routes, then each service's own matchers (the alert labels that identify it), with their
 * matchers parsed once (10,000 alerts through 200 routes parse 200 routes).
 */
export function compileRoutes(policy: Pick<ResponsePolicy, 'routes' | 'services'>): CompiledRoute[] {
  const routes = policy.routes.map((r: Route, index) => ({
    matchers: r.matchers.map(parseMatcher),
    service: r.service,
    via: `route ${index + 1}`,
  }));
  const own = policy.services.flatMap((s) =>
    s.matchers?.length ? [{ matchers: s.matchers.map(parseMatcher), service: s.id, via: `labels of service ${s.id}` }] : [],
  );
  return [...routes, ...own];
}

export interface Routing {
  /** The service the incident is about (kept as the label gave it when no service of the policy is known). */
  service: string;
  /** The owning team. */
  team: string;
  /** How it was chosen, for the timeline. */
  via: string;
  /** Said on the timeline when the alert named no known service. */
  note?: string;
}

/**
 * Which service and team an alert's labels are about: its `service` label when that names a service;
 * its `team` label when that names a team; else the first route that matches (the policy's routes, then
 * each service's own matchers); else the default service.
 */
export function routeAlert(
  policy: ResponsePolicy,
  labels: Record<string, string>,
  routes: CompiledRoute[] = compileRoutes(policy),
): Routing {
  const fallback = (labels.service ?? labels.job ?? 'unknown').slice(0, 100);
  if (!policy.teams.length) return { service: fallback, team: DEFAULT_TEAM, via: 'the only team' };
  const service = policy.services.find((s) => s.id === labels.service);
  if (service) return { service: service.id, team: service.team, via: 'label service' };
  const team = labels.team !== undefined ? policy.teams.find((t) => t.id === labels.team) : undefined;
  if (team) return { service: fallback, team: team.id, via: 'label team' };
  const route = routes.find((r) => r.matchers.every((m) => matches(m, labels)));
  const routed = route && policy.services.find((s) => s.id === route.service);
  if (routed) return { service: routed.id, team: routed.team, via: route.via };
  return unknownService(policy, fallback);
}

function unknownService(policy: ResponsePolicy, service: string): Routing {
  const fallback = policy.services.find((s) => s.id === policy.defaultService);
  const team = fallback?.team ?? policy.teams[0]!.id;
  return {
    service,
    team,
    via: 'default',
    note: `No service "${service}" in the policy: routed to team ${team}${fallback ? ` (default service ${fallback.id})` : ''}`,
  };
}

/** The team of a declared service (`declare --service`), or the default team with a note. */
export function routeService(policy: ResponsePolicy, service: string, team?: string): Routing {
  if (!policy.teams.length) return { service, team: DEFAULT_TEAM, via: 'the only team' };
  const known = policy.services.find((s) => s.id === service);
  if (known && (!team || team === known.team)) return { service, team: known.team, via: 'service' };
  const named = team ? policy.teams.find((t) => t.id === team) : undefined;
  if (named) return { service, team: named.id, via: 'team' };
  const routed = known ? { service, team: known.team, via: 'service' } : unknownService(policy, service);
  // A team that is not in the policy (a stale label, a typo over Temporal) is said, never silently dropped.
  if (team)
    return {
      ...routed,
      note: `No team "${team}" in the policy: ${routed.note ?? `routed to team ${routed.team}, the owner of service ${service}`}`,
    };
  return routed;
}

/**
 * The policy an incident of a team and service runs on: the service's escalation policy (else the
 * team's), with "team:<id>" targets as that team's schedule, and "oncall" as the owning team's
 * schedule; levels for the other hours (`during`) left out, by whether it opened within the team's
 * business hours (`inside`, decided once by the worker). A single-team policy is returned as it is.
 */
export function incidentPolicy(policy: ResponsePolicy, routing: Pick<Routing, 'team' | 'service'>, inside = true): ResponsePolicy {
  // A snapshot from before teams has none (workflow code calls this too).
  if (!policy.teams?.length) return policy;
  const team = policy.teams.find((t) => t.id === routing.team) ?? policy.teams[0]!;
  const service = policy.services.find((s) => s.id === routing.service && s.team === team.id);
  const ep = policy.escalationPolicies.find((e) => e.id === (service?.escalationPolicy ?? team.escalationPolicy))!;
  const teamSchedule = (id: string) => policy.teams.find((t) => t.id === id)?.schedule;
  const target = (t: string) => {
    if (t === 'oncall') return `schedule:${team.schedule}`;
    if (t.startsWith('team:')) return `schedule:${teamSchedule(t.slice(5)) ?? t.slice(5)}`;
    return t;
  };
  // The service's runbooks attach to each of its incidents, as if their rules said `always`.
  const runbooks =
    service?.runbooks?.length && policy.runbooks
      ? {
          ...policy.runbooks,
          definitions: policy.runbooks.definitions.map((d) =>
            service.runbooks!.includes(d.id) ? { ...d, match: { ...d.match, always: true } } : d,
          ),
        }
      : policy.runbooks;
  return {
    ...policy,
    ...(runbooks ? { runbooks } : {}),
    escalation: {
      levels: ep.levels
        .filter((l) => !l.during || l.during === duringOf(inside))
        .map(({ during: _during, ...l }) => ({ ...l, targets: [...new Set(l.targets.map(target))] })),
      repeat: ep.repeat ?? { times: 0, interval: '30m' },
    },
  };
}

/** The schedule a "schedule:<id>" target names, if the policy has it. */
export function scheduleOf(policy: Pick<ResponsePolicy, 'schedules'>, target: string): Schedule | undefined {
  return target.startsWith('schedule:') ? policy.schedules?.find((s) => s.id === target.slice(9)) : undefined;
}

/** Why an id names no schedule of the policy, with the ids there are. */
export const noSuchSchedule = (policy: Pick<ResponsePolicy, 'schedules'>, id: string) =>
  `no schedule "${id}"; schedules: ${(policy.schedules ?? []).map((s) => s.id).join(', ') || 'none (the policy has no teams)'}`;

/** Why an id names no team of the policy, with the ids there are. */
export const noSuchTeam = (policy: Pick<ResponsePolicy, 'teams'>, id: string) => {
  const teams = policy.teams ?? [];
  return teams.length ? `no team "${id}"; teams: ${teams.map((t) => t.id).join(', ')}` : `no team "${id}": the policy has no teams`;
};

/**
 * The status page components an incident of a service is shown under: those listing the service, and
 * the one its policy service names (`services[].component`).
 */
export function componentsOf(policy: Pick<ResponsePolicy, 'statusPage' | 'services'>, service: string): string[] {
  const named = policy.services?.find((s) => s.id === service)?.component;
  return (policy.statusPage?.components ?? []).filter((c) => c.services.includes(service) || c.id === named).map((c) => c.id);
}
