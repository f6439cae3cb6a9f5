import { describe, expect, it } from 'vitest';

import { densityAt, densityColour, gridBounds, timelineAt, type DensityCollection } from '../src/map/simulation';

const cell = (x: number, peak: number, series: number[]) => ({
  type: 'Feature' as const,
  geometry: { type: 'Polygon' as const, coordinates: [[[x, 52], [x + 0.001, 52], [x + 0.001, 52.001], [x, 52.001], [x, 52]]] },
  properties: { peak_density_p_per_m2: peak, density_over_time: series },
});

const grid: DensityCollection = {
  type: 'FeatureCollection',
  features: [
    cell(4.0, 3.5, [3.5, 1.0, 0]),
    cell(4.001, 0.75, [0.75, 0.75, 0.25]),
    { type: 'Feature', geometry: { type: 'LineString', coordinates: [[4.002, 52], [4.002, 52.002]] },
      properties: { kind: 'exit', exit: 'north', width_m: 6 } },
  ],
};

describe('the simulation layer', () => {
  it('colours cells by density band', () => {
    expect([0.2, 1, 3, 5].map(densityColour)).toEqual(['#1a9e8f', '#fff9b0', '#e0822a', '#a8123c']);
  });

  it('draws the peak, or one step of the run without the cells that are empty then', () => {
    const peak = densityAt(grid, null);
    expect(peak.cells.features).toHaveLength(2);
    expect(peak.exits.features).toHaveLength(1);
    expect(peak.max).toBe(3.5);
    const late = densityAt(grid, 2);
    expect(late.cells.features.map((f) => f.properties?.density)).toEqual([0.25]);
    expect(late.max).toBe(0.25);
  });

  it('reads persons on the square and out per exit at a step', () => {
    const line = { step_s: 10, end_s: [10, 20, 30], on_square: [90, 40, 0], out_by_exit: { north: [10, 60, 100] } };
    expect(timelineAt(line, 1)).toEqual({ seconds: 20, onSquare: 40, out: [{ exit: 'north', persons: 60 }] });
    expect(timelineAt(line, 7).onSquare).toBe(0);
  });

  it('finds the bounds of cells and exits', () => {
    const box = gridBounds(grid);
    [4.0, 52, 4.002, 52.002].forEach((v, i) => expect(box?.[i]).toBeCloseTo(v, 9));
    expect(gridBounds({ type: 'FeatureCollection', features: [] })).toBeNull();
  });
});
