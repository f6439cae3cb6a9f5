import { describe, expect, it } from 'vitest';
import {
  advance, forecastEnds, frameAt, liveFrame, MAX_PAST_GAP_MS, mergeTimeline, snapTime, timeDomain,
} from '../src/timeline';
import type { ForecastPoint, HistoryPoint, ZoneState } from '../src/types';

const META = { walkable_area_m2: 1000, capacity: 2000, thresholds: { yellow: 0.43, orange: 1.11, red: 2.0 } };
const NOW = Date.parse('2026-07-18T12:00:00Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function past(offsetMin: number, occupancy: number, level: HistoryPoint['level'] = 'green'): HistoryPoint {
  return { ts: iso(NOW + offsetMin * MIN), occupancy, density: occupancy / 1000, level, stale: false };
}

function ahead(offsetMin: number, p10: number, p50: number, p90: number): ForecastPoint {
  return {
    ts: iso(NOW + offsetMin * MIN), p10, p50, p90, density_p50: p50 / 1000,
    level: p50 >= 1110 ? 'orange' : 'yellow', level_p90: p90 >= 2000 ? 'red' : 'orange',
  };
}

const LIVE: ZoneState = {
  zone_id: 'plein', name: 'Plein', occupancy: 600, density_per_m2: 0.6, level: 'yellow', capacity: 2000,
  walkable_area_m2: 1000, utilisation: 0.3, stale: false, as_of: iso(NOW), last_data_at: iso(NOW - MIN),
  sources: [],
};

describe('mergeTimeline', () => {
  it('orders history, now and forecast, dropping history after now and forecast before it', () => {
    const points = mergeTimeline(
      META, NOW,
      [past(-5, 500), past(-10, 400), past(5, 999)],
      LIVE,
      [ahead(-15, 1, 2, 3), ahead(15, 700, 800, 900), ahead(30, 900, 1200, 2100)],
    );
    expect(points.map((p) => [p.kind, (p.t - NOW) / MIN])).toEqual([
      ['past', -10], ['past', -5], ['now', 0], ['forecast', 15], ['forecast', 30],
    ]);
    expect(points[3]?.density).toBeCloseTo(0.8);
    expect(points[4]?.levelP90).toBe('red');
  });
});

describe('frameAt', () => {
  const points = mergeTimeline(
    META, NOW, [past(-10, 400), past(-5, 500, 'yellow')], LIVE,
    [ahead(15, 700, 800, 900), ahead(30, 900, 1200, 2100)],
  );

  it('shows the recorded snapshot at or before a past moment', () => {
    expect(frameAt(points, NOW - 7 * MIN, META)).toMatchObject({ kind: 'past', occupancy: 400, level: 'green' });
    expect(frameAt(points, NOW - 5 * MIN, META)).toMatchObject({ occupancy: 500, level: 'yellow' });
  });

  it('has no picture before the first snapshot or after a long gap', () => {
    expect(frameAt(points, NOW - 60 * MIN, META).level).toBe('unknown');
    const sparse = mergeTimeline(META, NOW, [past(-120, 400)], undefined, undefined);
    expect(frameAt(sparse, NOW - 120 * MIN + MAX_PAST_GAP_MS + MIN, META).level).toBe('unknown');
  });

  it('is the live state at now', () => {
    expect(frameAt(points, NOW, META)).toMatchObject({ kind: 'now', occupancy: 600, level: 'yellow' });
  });

  it('interpolates the forecast and its band, and derives the level from the zone thresholds', () => {
    const mid = frameAt(points, NOW + 22.5 * MIN, META);
    expect(mid.kind).toBe('forecast');
    expect(mid.occupancy).toBeCloseTo(1000);
    expect(mid.p10).toBeCloseTo(800);
    expect(mid.p90).toBeCloseTo(1500);
    expect(mid.level).toBe('yellow');
    expect(frameAt(points, NOW + 30 * MIN, META)).toMatchObject({ level: 'orange', levelP90: 'red' });
    const early = frameAt(points, NOW + 7.5 * MIN, META);
    expect(early.occupancy).toBeCloseTo(700);
    expect(early.p10).toBeCloseTo(650);
  });

  it('has no picture beyond the forecast, or without any data', () => {
    expect(frameAt(points, NOW + 60 * MIN, META).level).toBe('unknown');
    expect(frameAt([], NOW, META).level).toBe('unknown');
  });

  it('keeps suppression and staleness of the live state', () => {
    expect(liveFrame({ ...LIVE, stale: true, suppressed: true })).toMatchObject({ stale: true, suppressed: true });
  });
});

describe('slider', () => {
  const domain = timeDomain(NOW, 6, forecastEnds({ a: [ahead(15, 1, 2, 3), ahead(120, 1, 2, 3)], b: [] }));

  it('spans the past hours to the last forecast step', () => {
    expect(domain).toEqual({ start: NOW - 6 * 60 * MIN, now: NOW, end: NOW + 120 * MIN });
    expect(timeDomain(NOW, 1, []).end).toBe(NOW);
  });

  it('snaps to the history and forecast steps and to now', () => {
    expect(snapTime(NOW - 7 * MIN, domain)).toBe(NOW - 5 * MIN);
    expect(snapTime(NOW + 2 * MIN, domain)).toBe(NOW);
    expect(snapTime(NOW + 20 * MIN, domain)).toBe(NOW + 15 * MIN);
    expect(snapTime(NOW + 999 * MIN, domain)).toBe(domain.end);
    expect(snapTime(0, domain)).toBe(domain.start);
  });

  it('plays forward and stops at the end', () => {
    expect(advance(NOW, domain, 15 * MIN)).toEqual({ t: NOW + 15 * MIN, done: false });
    expect(advance(NOW + 110 * MIN, domain, 15 * MIN)).toEqual({ t: domain.end, done: true });
  });
});

describe('slider reach', () => {
  it('stops at the given hours ahead even when the forecast reaches further', () => {
    const ends = [NOW + 48 * 60 * MIN];
    expect(timeDomain(NOW, 6, ends, 12).end).toBe(NOW + 12 * 60 * MIN);
    expect(timeDomain(NOW, 6, [NOW + 30 * MIN], 12).end).toBe(NOW + 30 * MIN);
  });
});
