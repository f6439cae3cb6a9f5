/** The control room's pure parts: one rounding rule, data health, plain errors, trend, y ticks,
 * zone search, alert grouping and filters, overdue measures, role-first order, the title badge. */

import { describe, expect, it } from 'vitest';

import { titleWithBadge } from '../src/attention';
import { niceTicks, trendOver } from '../src/chart';
import { floorTo, formatDensity, formatRelative } from '../src/format';
import { dataHealth, plainError } from '../src/health';
import { findZone } from '../src/keyboard';
import { levelForDensity } from '../src/levels';
import { overdueMinutes } from '../src/panels/advice';
import { filterAlerts, groupByZone } from '../src/panels/alerts';
import { alertsInOrder, ownAdviceFirst, ownerLabel } from '../src/roleview';
import type { ZonePoint } from '../src/timeline';
import type { ZoneState } from '../src/types';
import type { ControlAdvice, ControlAlert } from '../src/types-control';

const T = { yellow: 0.43, orange: 0.7, red: 2 };

describe('one rounding rule', () => {
  it('never shows a value at a threshold it has not reached', () => {
    expect(formatDensity(1.996)).toBe('1.99 p/m²');
    expect(levelForDensity(1.996, T)).toBe('orange');
    expect(formatDensity(2)).toBe('2.00 p/m²');
    expect(floorTo(0.29)).toBe(0.29);
    expect(floorTo(0.31)).toBe(0.31);
  });
  it('gives relative times both ways', () => {
    expect(formatRelative(10 * 60_000, 0)).toBe('in 10 min');
    expect(formatRelative(0, 35 * 60_000)).toBe('35 min ago');
  });
});

describe('data health', () => {
  const zone = (id: string, stale: boolean) => ({ zone_id: id, stale, level: 'green' }) as ZoneState;
  it('says how many zones are stale and which feeds fail', () => {
    const live = Object.fromEntries([...Array(18).keys()].map((i) => [`z${i}`, zone(`z${i}`, i < 11)]));
    const sources = [{ name: 'traffic', status: 'failing' }, { name: 'weather', status: 'failing' }, { name: 'gtfs', status: 'ok' }];
    const health = dataHealth('live', live, sources as never, 18);
    expect(health.text).toBe('live · 11 of 18 zones stale · traffic, weather failing');
    expect(health.level).toBe('bad');
    expect(dataHealth('live', { a: zone('a', false) }, [], 1)).toMatchObject({ text: 'live', level: 'ok' });
  });
  it('turns parser errors into plain words', () => {
    expect(plainError("XMLSyntaxError: Opening and ending tag mismatch: line 3")).toBe('The feed sent data that could not be read.');
    expect(plainError('HTTP 503 Service Unavailable')).toBe('The feed answered with an error (HTTP 503).');
    expect(plainError(null)).toBeNull();
  });
});

describe('zone panel', () => {
  const point = (minutesAgo: number, density: number): ZonePoint => ({
    t: 100 * 60_000 - minutesAgo * 60_000, kind: minutesAgo === 0 ? 'now' : 'past', occupancy: null, density,
    level: 'green', stale: false, p10: null, p90: null, levelP90: null, suppressed: false,
  });
  it('tells a rising and a steady trend over 15 minutes', () => {
    expect(trendOver([point(20, 0.5), point(15, 0.6), point(5, 0.7), point(0, 0.8)], 100 * 60_000)?.direction).toBe('rising');
    expect(trendOver([point(15, 0.6), point(0, 0.605)], 100 * 60_000)?.direction).toBe('steady');
    expect(trendOver([point(0, 0.6)], 100 * 60_000)).toBeNull();
  });
  it('labels the y axis in round steps', () => {
    expect(niceTicks(2.3)).toEqual([0, 1, 2]);
    expect(niceTicks(0.9)).toEqual([0, 0.25, 0.5, 0.75]);
  });
  it('finds a zone by name, prefix or part', () => {
    const zones = [{ id: 'pier', name: 'De Pier' }, { id: 'strand-noord', name: 'Strand Noord' }];
    expect(findZone('strand', zones)).toBe('strand-noord');
    expect(findZone('pier', zones)).toBe('pier');
    expect(findZone('xyz', zones)).toBeNull();
  });
});

describe('alerts and advice per role', () => {
  const alert = (id: string, zone: string, level: 'yellow' | 'orange' | 'red', owner: string): ControlAlert => ({
    id, zone_id: zone, level, kind: 'level_change', status: 'raised', raised_at: '', message: '', expected_at: null,
    probability: null, acknowledged_by: null, acknowledged_at: null, resolved_at: null, resolved_by: null,
    updated_at: '', history: [], measures_taken: [],
    measures: [{ id: `m-${owner}`, measure: 'x', owner, owner_label: owner }],
  });
  const alerts = [alert('a', 'z1', 'yellow', 'police'), alert('b', 'z2', 'red', 'municipality'), alert('c', 'z1', 'red', 'municipality')];
  it('groups by zone, filters by level and owner, own alerts first', () => {
    expect(groupByZone(alertsInOrder(alerts, null)).map(([z, list]) => [z, list.map((a) => a.id)]))
      .toEqual([['z2', ['b']], ['z1', ['c', 'a']]]);
    expect(alertsInOrder(alerts, 'police')[0]?.id).toBe('a');
    expect(filterAlerts(alerts, 'red', 'all').map((a) => a.id)).toEqual(['b', 'c']);
    expect(filterAlerts(alerts, 'all', 'police').map((a) => a.id)).toEqual(['a']);
  });
  it('puts own advice first and names owners in words', () => {
    const advice = [{ measure_id: 'x', owner: 'municipality' }, { measure_id: 'y', owner: 'police' }] as ControlAdvice[];
    expect(ownAdviceFirst(advice, 'police').map((a) => a.measure_id)).toEqual(['y', 'x']);
    expect(ownerLabel('transport_operator', undefined)).toBe('Public transport operator');
  });
  it('flags a measure overdue until it is recorded', () => {
    const advice = { measure_id: 'm-police', zone_id: 'z1', zones: ['z1'], start_by: new Date(0).toISOString() } as ControlAdvice;
    expect(overdueMinutes(advice, alerts, 50 * 60_000)).toBe(50);
    const taken = [{ ...alerts[0]!, measures_taken: [{ measure: 'm-police', by: 'p', at: '', note: null }] }];
    expect(overdueMinutes(advice, taken, 50 * 60_000)).toBeNull();
  });
  it('counts unacknowledged alerts in the title', () => {
    expect(titleWithBadge('Site · CSM', 3)).toBe('(3) Site · CSM');
    expect(titleWithBadge('Site · CSM', 0)).toBe('Site · CSM');
  });
});

describe('touch selection', () => {
  it('ranks the zones near a tap by the distance of their centre', async () => {
    const { byDistance, nearestAnchor } = await import('../src/picking');
    const centres: Record<string, { x: number; y: number }> = { square: { x: 100, y: 100 }, stop: { x: 110, y: 96 } };
    const project = (id: string) => centres[id] ?? null;
    expect(byDistance(['stop', 'square'], { x: 101, y: 101 }, project).map((r) => r.id)).toEqual(['square', 'stop']);
    expect(nearestAnchor(['stop', 'square', 'gone'], { x: 109, y: 97 }, project)).toBe('stop');
  });
});
