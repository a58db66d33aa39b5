import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PolicyInput, ResponsePolicy } from '../../policy/schema';
import { testPolicy } from './harness';

const example = JSON.parse(readFileSync(path.join(__dirname, '../../policy/examples/three-teams.json'), 'utf8')) as PolicyInput;

/**
 * The worked example's teams (policy/examples/three-teams.json) on the test policy's short clocks: the
 * database secondary 4 s after the primary (10 minutes in the example).
 */
export function teamPolicy(): ResponsePolicy {
  const escalationPolicies = example.escalationPolicies!.map((ep) =>
    ep.id === 'db' ? { ...ep, levels: ep.levels.map((l) => (l.name === 'Database secondary' ? { ...l, after: '4s' } : l)) } : ep,
  );
  return testPolicy({
    contacts: example.contacts,
    teams: example.teams,
    services: example.services,
    schedules: example.schedules,
    escalationPolicies,
    routes: example.routes,
    defaultService: example.defaultService,
  });
}
