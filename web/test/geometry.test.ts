import { describe, expect, it } from 'vitest';
import { bounds, interiorPoint, outerRing, pointInRing, ringCentroid } from '../src/geometry';
import { chartModel } from '../src/chart';
import { mergeTimeline } from '../src/timeline';

const SQUARE = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]];
// An L: the centroid of its bounding area falls in the notch, outside the shape.
const ELL = [[0, 0], [10, 0], [10, 1], [1, 1], [1, 10], [0, 10], [0, 0]];

describe('geometry', () => {
  it('finds centroids and inside points', () => {
    expect(ringCentroid(SQUARE).centroid).toEqual([1, 1]);
    expect(Math.abs(ringCentroid(SQUARE).area)).toBe(4);
    expect(pointInRing([1, 1], SQUARE)).toBe(true);
    expect(pointInRing([3, 1], SQUARE)).toBe(false);
    expect(pointInRing(ringCentroid(ELL).centroid, ELL)).toBe(false);
    expect(pointInRing(interiorPoint(ELL), ELL)).toBe(true);
  });

  it('picks the largest polygon and the bounds', () => {
    const ring = outerRing({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [SQUARE]] });
    expect(ring).toBe(SQUARE);
    expect(bounds([SQUARE, ELL])).toEqual([0, 0, 10, 10]);
    expect(bounds([])).toBeNull();
  });
});

describe('chartModel', () => {
  const meta = { walkable_area_m2: 100, capacity: 200, thresholds: { yellow: 0.43, orange: 1.11, red: 2.0 } };
  const now = 1_000_000_000;
  const points = mergeTimeline(
    meta, now,
    [{ ts: new Date(now - 600_000).toISOString(), occupancy: 50, density: 0.5, level: 'yellow', stale: false }],
    { zone_id: 'z', name: 'z', occupancy: 60, density_per_m2: 0.6, level: 'yellow', capacity: 200,
      walkable_area_m2: 100, utilisation: 0.3, stale: false, as_of: '', last_data_at: null, sources: [] },
    [{ ts: new Date(now + 900_000).toISOString(), p10: 50, p50: 100, p90: 300, density_p50: 1, level: 'yellow',
      level_p90: 'red' }],
  );

  it('draws past, p50 and a closed band, scaled to fit the p90 peak', () => {
    const model = chartModel(points, meta, now, null, 300, 100);
    expect(model.past.startsWith('M')).toBe(true);
    expect(model.p50.split('L')).toHaveLength(2);
    expect(model.band.endsWith('Z')).toBe(true);
    expect(model.yMax).toBeCloseTo(3.3);
    expect(model.nowX).toBeGreaterThan(0);
    expect(model.nowX).toBeLessThan(300);
    expect(model.cursorX).toBeNull();
    const ys = model.thresholds.map((t) => t.y);
    expect(ys[0]).toBeGreaterThan(ys[2]!); // yellow is drawn below red
  });

  it('draws no forecast when there is none', () => {
    const model = chartModel(points.filter((p) => p.kind !== 'forecast'), meta, now, now - 1);
    expect(model.p50).toBe('');
    expect(model.band).toBe('');
    expect(model.cursorX).not.toBeNull();
  });
});

describe('principalBearing', () => {
  it('turns the long axis of a site horizontal', async () => {
    const { principalBearing } = await import('../src/geometry');
    const eastWest = [[[0, 0], [0.01, 0], [0.01, 0.001], [0, 0.001]]];
    const northSouth = [[[0, 0], [0.001, 0], [0.001, 0.01], [0, 0.01]]];
    // A strip running north-east at 45° (in metres, near the equator).
    const diagonal = [[[0, 0], [0.01, 0.01], [0.0101, 0.0099], [0.0001, -0.0001]]];
    expect(principalBearing(eastWest)).toBe(0);
    expect(Math.abs(principalBearing(northSouth))).toBe(90);
    expect(principalBearing(diagonal)).toBe(-45);
    expect(principalBearing([])).toBe(0);
  });

  it('turns the long axis along a portrait screen and keeps it on a landscape one', async () => {
    const { screenBearing } = await import('../src/geometry');
    expect(screenBearing(-45, 1600, 1000)).toBe(-45);
    expect(screenBearing(-45, 390, 844)).toBe(45);
    expect(screenBearing(90, 390, 844)).toBe(0);
    expect(screenBearing(30, 390, 844)).toBe(-60);
    expect(screenBearing(0, 500, 500)).toBe(0);
  });
});
