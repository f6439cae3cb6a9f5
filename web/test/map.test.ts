import { describe, expect, it } from 'vitest';

import { LEVEL_COLOURS, levelMark } from '../src/levels';
import { routeSegments, routeTargets, type RouteFeature } from '../src/map/emergency';
import { lineLabelPoint, placeLabels } from '../src/map/labels';
import type { ZoneFeature } from '../src/types';

describe('level marks', () => {
  it('give every level a letter, so the level reads without colour', () => {
    expect(['green', 'yellow', 'orange', 'red', 'unknown'].map((l) => levelMark(l as never))).toEqual(['G', 'Y', 'O', 'R', '–']);
    expect(new Set(Object.values(LEVEL_COLOURS)).size).toBe(5);
  });
});

describe('label placement', () => {
  it('keeps the higher priority label where two collide and drops labels off screen', () => {
    const shown = placeLabels([
      { id: 'street', priority: 1, x: 100, y: 100, width: 80, height: 16 },
      { id: 'zone', priority: 100, x: 110, y: 104, width: 80, height: 16 },
      { id: 'far', priority: 50, x: 300, y: 100, width: 80, height: 16 },
      { id: 'off', priority: 50, x: 990, y: 100, width: 80, height: 16 },
    ], 1000, 600);
    expect([...shown].sort()).toEqual(['far', 'zone']);
  });

  it('writes a line name at the middle of its longest segment', () => {
    expect(lineLabelPoint([[0, 0], [1, 0], [1, 4]])).toEqual([1, 2]);
    expect(lineLabelPoint([[0, 0]])).toBeNull();
  });
});

const square = (id: string, x0: number, y0: number): ZoneFeature => ({
  type: 'Feature', id,
  geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x0 + 1, y0], [x0 + 1, y0 + 1], [x0, y0 + 1], [x0, y0]]] },
  properties: { id, name: id, walkable_area_m2: 100, capacity: 200, kind: 'area', group: null,
    thresholds: { yellow: 0.4, orange: 1.1, red: 2 } },
});

describe('access routes', () => {
  const route: RouteFeature = {
    type: 'Feature',
    geometry: { type: 'LineString', coordinates: [[-1, 0.5], [0.2, 0.5], [0.8, 0.5], [2.2, 0.5], [2.8, 0.5]] },
    properties: { post: 'amb', zone: 'b', mode: 'drive', length_m: 300, zones_passed: ['a', 'b'] },
  };

  it('marks the segments that run through orange or red zones', () => {
    const segments = routeSegments([route], [square('a', 0, 0), square('b', 2, 0)], { a: 'green', b: 'red' });
    expect(segments.features.map((f) => f.properties?.hazard)).toEqual([false, false, false, true]);
    const hot = routeSegments([route], [square('a', 0, 0), square('b', 2, 0)], { a: 'orange', b: 'red' });
    expect(hot.features.map((f) => f.properties?.hazardZone)).toEqual([null, 'a', null, 'b']);
  });

  it('goes to the selected zone, the emergency advice and the red, then orange zones', () => {
    const advice = [{ owner: 'emergency_services', zone_id: 'kurhaus' }, { owner: 'municipality', zone_id: 'pier' }];
    expect(routeTargets(advice as never, { x: 'orange', y: 'red' }, 'sel')).toEqual(['sel', 'kurhaus', 'y']);
    expect(routeTargets([], {}, null)).toEqual([]);
  });
});
