import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy, PolicyError } from './load';
import { businessHoursAt } from './business-hours';
import { incidentPolicy } from './teams';

const exampleJson = JSON.parse(readFileSync(path.join(__dirname, 'examples/three-teams.json'), 'utf8')) as Record<string, unknown>;
const example = parsePolicy(exampleJson);
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("a team's business hours", () => {
  test('02:00 on a Saturday in Berlin waits for Monday 09:00, across the spring DST change', () => {
    // Saturday 28 March 2026, 02:00 CET; the clocks go forward on Sunday 29 March.
    const hours = businessHoursAt(example, 'db', at('2026-03-28T01:00:00Z'))!;
    expect(hours).toMatchObject({ inside: false, text: 'mon,tue,wed,thu,fri 09:00–17:00 (Europe/Berlin)' });
    expect(iso(hours.until)).toBe('2026-03-30T07:00:00.000Z'); // 09:00 CEST
  });

  test('within them until 17:00 local; the zone defaults to the team schedule', () => {
    const hours = businessHoursAt(example, 'db', at('2026-03-30T08:00:00Z'))!;
    expect(hours.inside).toBe(true);
    expect(iso(hours.until)).toBe('2026-03-30T15:00:00.000Z');
  });

  test('a zone of its own (New York), over the autumn DST change', () => {
    // Friday 6 November 2026, 17:59 EST (the clocks went back on Sunday 1 November).
    const friday = businessHoursAt(example, 'payments', at('2026-11-06T22:59:00Z'))!;
    expect(friday).toMatchObject({ inside: true, text: 'mon,tue,wed,thu,fri 09:00–18:00 (America/New_York)' });
    expect(iso(friday.until)).toBe('2026-11-06T23:00:00.000Z');
    const evening = businessHoursAt(example, 'payments', at('2026-11-06T23:00:00Z'))!;
    expect(evening.inside).toBe(false);
    expect(iso(evening.until)).toBe('2026-11-09T14:00:00.000Z');
    // Friday 30 October, still on summer time: 18:00 EDT is 22:00Z.
    expect(businessHoursAt(example, 'payments', at('2026-10-30T21:59:00Z'))!.inside).toBe(true);
    expect(businessHoursAt(example, 'payments', at('2026-10-30T22:00:00Z'))!.inside).toBe(false);
  });

  test('a team without business hours works around the clock', () => {
    expect(businessHoursAt(example, 'platform', at('2026-03-28T01:00:00Z'))).toBeUndefined();
    expect(businessHoursAt(example, 'no-such-team', at('2026-03-28T01:00:00Z'))).toBeUndefined();
  });

  test('the P2 rule is data: the example marks P2 businessHoursOnly, P1 pages around the clock', () => {
    expect(example.severities.P2.businessHoursOnly).toBe(true);
    expect(example.severities.P1.businessHoursOnly).toBeUndefined();
  });
});

describe('escalation by time of day', () => {
  const levels = (inside: boolean) =>
    incidentPolicy(example, { team: 'payments', service: 'checkout' }, inside).escalation.levels.map((l) => l.name);

  test('levels marked `during` apply only to incidents opened within (or outside) business hours', () => {
    expect(levels(true)).toEqual(['Payments on-call', 'Platform on-call', 'Engineering lead']);
    expect(levels(false)).toEqual(['Payments on-call', 'Platform on-call', 'Payments duty manager']);
    // The incident's policy carries no `during` of its own: it was decided once.
    expect(incidentPolicy(example, { team: 'payments', service: 'checkout' }, false).escalation.levels[2]).not.toHaveProperty('during');
  });

  test('a policy that would page nobody in some hours is refused, naming them', () => {
    const copy = structuredClone(exampleJson) as { escalationPolicies: { levels: { during?: string }[] }[] };
    for (const l of copy.escalationPolicies[0]!.levels) l.during = 'business-hours';
    expect(() => parsePolicy(copy)).toThrow(PolicyError);
    expect(() => parsePolicy(copy)).toThrow(
      /escalationPolicies\.0\.levels: every level is for the other hours: nobody would be paged outside business hours/,
    );
  });
});
