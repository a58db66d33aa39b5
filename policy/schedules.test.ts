import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy } from './load';
import { layerAt, scheduleAt, scheduleShifts, shiftsWithOverrides } from './schedules';
import type { Schedule } from './teams-schema';

const example = parsePolicy(JSON.parse(readFileSync(path.join(__dirname, 'examples/three-teams.json'), 'utf8')));
const schedule = (id: string) => example.schedules.find((s) => s.id === id)!;
const at = (iso: string) => Date.parse(iso);
const who = (id: string, iso: string) => {
  const s = scheduleAt(schedule(id), at(iso));
  return `${s.contactId ?? '-'} (${s.layer})`;
};
const HOUR = 3_600_000;

describe('a daily rotation hands off at its local hour across DST (db-primary: 10:00 Europe/Berlin)', () => {
  test('before and after the change of 29 March 2026 the handoff moves by an hour in UTC, never in Berlin', () => {
    // 2026-01-05 10:00 CET is gita's first day; gita, hugo, ines, gita, ...
    expect(who('db-primary', '2026-03-27T09:00:00Z')).toBe('gita (Daily)'); // Friday 10:00 CET: day 81, 81 % 3 = 0
    expect(who('db-primary', '2026-03-28T08:59:00Z')).toBe('gita (Daily)');
    expect(who('db-primary', '2026-03-28T09:00:00Z')).toBe('hugo (Daily)');
    // Sunday 29 March: clocks go from 02:00 to 03:00; the handoff stays at 10:00 local, now 08:00 UTC.
    expect(who('db-primary', '2026-03-29T07:59:00Z')).toBe('hugo (Daily)');
    expect(who('db-primary', '2026-03-29T08:00:00Z')).toBe('ines (Daily)');
    const shift = scheduleAt(schedule('db-primary'), at('2026-03-29T12:00:00Z'));
    expect(new Date(shift.from).toISOString()).toBe('2026-03-29T08:00:00.000Z');
    expect(new Date(shift.to).toISOString()).toBe('2026-03-30T08:00:00.000Z');
    // The shift that spans the change is 23 hours long.
    const spanning = scheduleAt(schedule('db-primary'), at('2026-03-28T20:00:00Z'));
    expect((spanning.to - spanning.from) / HOUR).toBe(23);
  });
});

describe('follow the sun: three regions in their own zones over a weekly backstop', () => {
  test('each region takes its business hours; the backstop takes nights between them and weekends', () => {
    // Monday 2 March 2026 (before any DST change; Sydney is on AEDT, UTC+11).
    expect(who('platform-follow-the-sun', '2026-03-02T10:00:00Z')).toMatch(/^(chloe|dev) \(Europe\)$/); // London 10:00
    expect(who('platform-follow-the-sun', '2026-03-02T17:00:00Z')).toMatch(/^(ana|ben) \(Americas\)$/); // LA 09:00
    expect(who('platform-follow-the-sun', '2026-03-02T22:00:00Z')).toMatch(/^(emi|finn) \(Asia-Pacific\)$/); // Sydney Tue 09:00
    expect(who('platform-follow-the-sun', '2026-03-02T06:00:00Z')).toMatch(/\(Weekly backstop\)$/); // a gap between regions
    expect(who('platform-follow-the-sun', '2026-03-07T12:00:00Z')).toMatch(/\(Weekly backstop\)$/); // Saturday
  });

  test('between the American and European DST changes the regions overlap, and the higher layer wins', () => {
    // 15:30 UTC: London 15:30 (open until 16:00); Los Angeles 07:30 PST on 2 March, 08:30 PDT on 16 March.
    expect(who('platform-follow-the-sun', '2026-03-02T15:30:00Z')).toMatch(/\(Europe\)$/);
    expect(who('platform-follow-the-sun', '2026-03-02T16:30:00Z')).toMatch(/\(Americas\)$/);
    expect(layerAt(schedule('platform-follow-the-sun').layers[1]!, 'UTC', at('2026-03-16T15:30:00Z')).contactId).toBeDefined();
    expect(who('platform-follow-the-sun', '2026-03-16T15:30:00Z')).toMatch(/\(Europe\)$/);
    // The Americas take over when Europe closes, at 16:00 UTC, though they opened at 15:00.
    const s = scheduleAt(schedule('platform-follow-the-sun'), at('2026-03-16T15:30:00Z'));
    expect(new Date(s.to).toISOString()).toBe('2026-03-16T16:00:00.000Z');
  });

  test('every hour of six weeks across both changes: someone is on call, from the layer that holds them', () => {
    const from = at('2026-03-02T00:00:00Z');
    const to = from + 42 * 24 * HOUR;
    const s = schedule('platform-follow-the-sun');
    const byLayer = new Map(s.layers.map((l) => [l.name, l.members]));
    let hours = 0;
    for (let t = from; t < to; t += HOUR) {
      const shift = scheduleAt(s, t);
      expect(shift.contactId).toBeDefined();
      expect(byLayer.get(shift.layer)).toContain(shift.contactId);
      expect(shift.to).toBeGreaterThan(t);
      hours++;
    }
    expect(hours).toBe(1008);
  });

  test('its shifts over the window are contiguous, and agree with the hour-by-hour answer', () => {
    const from = at('2026-03-02T00:00:00Z');
    const to = from + 42 * 24 * HOUR;
    const s = schedule('platform-follow-the-sun');
    const shifts = scheduleShifts(s, from, to);
    expect(shifts[0]!.from).toBe(from);
    expect(shifts[shifts.length - 1]!.to).toBe(to);
    for (let i = 1; i < shifts.length; i++) expect(shifts[i]!.from).toBe(shifts[i - 1]!.to);
    for (let t = from; t < to; t += HOUR) {
      const shift = shifts.find((x) => x.from <= t && t < x.to)!;
      expect(shift.contactId).toBe(scheduleAt(s, t).contactId);
    }
  });
});

describe('layers', () => {
  const base: Schedule = {
    id: 's',
    timeZone: 'UTC',
    layers: [{ name: 'Everyone', members: ['a', 'b'], start: '2026-01-05T00:00', length: '12h' }],
  };

  test('an hourly rotation counts by the clock', () => {
    expect(scheduleAt(base, at('2026-01-05T11:59:00Z')).contactId).toBe('a');
    expect(scheduleAt(base, at('2026-01-05T12:00:00Z')).contactId).toBe('b');
    expect(scheduleAt(base, at('2026-01-06T00:00:00Z')).contactId).toBe('a');
    // Before the start, the rotation runs backwards.
    expect(scheduleAt(base, at('2026-01-04T23:00:00Z')).contactId).toBe('b');
  });

  test('"-" in a higher layer leaves the shift to the layer below', () => {
    const s: Schedule = {
      ...base,
      layers: [...base.layers, { name: 'Top', members: ['c', '-'], start: '2026-01-05T00:00', length: '1d' }],
    };
    expect(scheduleAt(s, at('2026-01-05T06:00:00Z'))).toMatchObject({ contactId: 'c', layer: 'Top' });
    expect(scheduleAt(s, at('2026-01-06T06:00:00Z'))).toMatchObject({ contactId: 'a', layer: 'Everyone' });
  });

  test('a window past midnight runs overnight from the day it names, in the layer zone', () => {
    const s: Schedule = {
      id: 'nights',
      timeZone: 'UTC',
      layers: [
        {
          name: 'Nights',
          members: ['n'],
          start: '2026-01-05T00:00',
          length: '1w',
          timeZone: 'America/New_York',
          restrictions: [{ days: ['friday'], from: '22:00', to: '06:00' }],
        },
      ],
    };
    // Friday 9 January 2026 22:00 EST is Saturday 03:00 UTC; it ends Saturday 06:00 EST (11:00 UTC).
    expect(scheduleAt(s, at('2026-01-10T02:59:00Z')).contactId).toBeUndefined();
    expect(scheduleAt(s, at('2026-01-10T03:00:00Z')).contactId).toBe('n');
    expect(new Date(scheduleAt(s, at('2026-01-10T03:00:00Z')).to).toISOString()).toBe('2026-01-10T11:00:00.000Z');
    expect(scheduleAt(s, at('2026-01-10T11:00:00Z'))).toMatchObject({ layer: 'gap' });
    // Nobody until the next Friday night, whatever the rotation's week boundary in between.
    const [gap, next] = scheduleShifts(s, at('2026-01-10T11:00:00Z'), at('2026-01-20T00:00:00Z'));
    expect(gap).toEqual({ layer: 'gap', from: at('2026-01-10T11:00:00Z'), to: at('2026-01-17T03:00:00Z') });
    expect(next).toMatchObject({ contactId: 'n', from: at('2026-01-17T03:00:00Z'), to: at('2026-01-17T11:00:00Z') });
  });

  test('a gap says until when nobody is on call', () => {
    const s: Schedule = {
      id: 'office',
      timeZone: 'Europe/Berlin',
      layers: [{ name: 'Office', members: ['o'], start: '2026-01-05T09:00', length: '1d', restrictions: [{ from: '09:00', to: '17:00' }] }],
    };
    const gap = scheduleAt(s, at('2026-01-05T18:00:00Z'));
    expect(gap).toMatchObject({ layer: 'gap' });
    expect(new Date(gap.to).toISOString()).toBe('2026-01-06T08:00:00.000Z');
  });
});

describe('overrides and swaps on top of the layers', () => {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const show = (shifts: { contactId?: string; layer: string; from: number; to: number }[]) =>
    shifts.map((s) => `${iso(s.from)} → ${iso(s.to)} ${s.contactId ?? '-'} (${s.layer})`);
  const from = at('2026-03-28T00:00:00Z');
  const to = at('2026-03-30T00:00:00Z');

  test('an override cuts into a shift; an accepted swap of a whole shift replaces it; the newest covering a moment wins', () => {
    const overrides = [
      // ines takes four hours of hugo's Saturday.
      { contactId: 'ines', from: at('2026-03-28T12:00:00Z'), to: at('2026-03-28T16:00:00Z') },
      // gita took all of ines's Sunday shift by a swap.
      { contactId: 'gita', from: at('2026-03-29T08:00:00Z'), to: at('2026-03-30T08:00:00Z') },
      // Then hugo covers an hour of it: the newer override wins there.
      { contactId: 'hugo', from: at('2026-03-29T10:00:00Z'), to: at('2026-03-29T11:00:00Z') },
    ];
    expect(show(shiftsWithOverrides(schedule('db-primary'), overrides, from, to))).toEqual([
      '2026-03-28T00:00 → 2026-03-28T09:00 gita (Daily)',
      '2026-03-28T09:00 → 2026-03-28T12:00 hugo (Daily)',
      '2026-03-28T12:00 → 2026-03-28T16:00 ines (override)',
      '2026-03-28T16:00 → 2026-03-29T08:00 hugo (Daily)',
      '2026-03-29T08:00 → 2026-03-29T10:00 gita (override)',
      '2026-03-29T10:00 → 2026-03-29T11:00 hugo (override)',
      '2026-03-29T11:00 → 2026-03-30T00:00 gita (override)',
    ]);
  });

  test('every hour agrees with the store’s rule (the newest override covering the hour, else the layers)', () => {
    const overrides = [
      { contactId: 'ines', from: at('2026-03-28T05:30:00Z'), to: at('2026-03-29T02:15:00Z') },
      { contactId: 'hugo', from: at('2026-03-28T20:00:00Z'), to: at('2026-03-28T22:00:00Z') },
      { contactId: 'gita', from: at('2026-03-27T00:00:00Z'), to: at('2026-03-28T01:00:00Z') }, // starts before the window
    ];
    const shifts = shiftsWithOverrides(schedule('db-primary'), overrides, from, to);
    for (let t = from; t < to; t += HOUR / 4) {
      const covering = overrides.filter((o) => o.from <= t && t < o.to).pop();
      const expected = covering?.contactId ?? scheduleAt(schedule('db-primary'), t).contactId;
      expect(shifts.find((s) => s.from <= t && t < s.to)?.contactId).toBe(expected);
    }
    // Contiguous from the first moment to the last.
    shifts.forEach((s, i) => expect(s.from).toBe(i === 0 ? from : shifts[i - 1]!.to));
    expect(shifts[shifts.length - 1]!.to).toBe(to);
  });

  test('no overrides: the layers as they are', () => {
    expect(shiftsWithOverrides(schedule('db-primary'), [], from, to)).toEqual(scheduleShifts(schedule('db-primary'), from, to));
  });
});
