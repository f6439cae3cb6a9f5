/** The simulation layer: a JuPedSim clearing run of a square as a grid of density cells (the peak, or
 * one step of the run's time line) with the exits, on the map. The colouring and the time line are
 * pure (web/test/simulation.test.ts); the layer only hands them to MapLibre. */

import type * as maplibregl from 'maplibre-gl';
import { geojsonSource } from './geojson';

/** Cell density bands in persons per m² (Fruin's walkway levels of service, coarsened): free, dense,
 * very dense, crush risk. Colours: the level ramp, so the reading matches the zones. */
export const DENSITY_BANDS: readonly { upTo: number; colour: string; label: string }[] = [
  { upTo: 0.5, colour: '#1a9e8f', label: 'below 0.5 p/m²' },
  { upTo: 2, colour: '#fff9b0', label: '0.5–2 p/m²' },
  { upTo: 4, colour: '#e0822a', label: '2–4 p/m²' },
  { upTo: Number.POSITIVE_INFINITY, colour: '#a8123c', label: '4 p/m² and more' },
];

export function densityColour(density: number): string {
  return (DENSITY_BANDS.find((b) => density < b.upTo) ?? DENSITY_BANDS[DENSITY_BANDS.length - 1]!).colour;
}

export interface SimulationTimeline {
  step_s: number;
  end_s: number[];
  on_square: number[];
  out_by_exit: Record<string, number[]>;
}

export interface DensityFeature {
  type: 'Feature';
  geometry: GeoJSON.Geometry;
  properties: { kind?: string; peak_density_p_per_m2?: number; density_over_time?: number[]; exit?: string; width_m?: number };
}

export interface DensityCollection { type: 'FeatureCollection'; features: DensityFeature[] }

/** The cells at one step of the run (null: the peak each cell reached), with colour; empty cells are
 * left out so the square underneath shows. Exit lines pass through unchanged. */
export function densityAt(grid: DensityCollection, step: number | null): {
  cells: GeoJSON.FeatureCollection; exits: GeoJSON.FeatureCollection; max: number;
} {
  const cells: GeoJSON.Feature[] = [];
  const exits: GeoJSON.Feature[] = [];
  let max = 0;
  for (const f of grid.features) {
    if (f.properties.kind === 'exit') {
      exits.push(f as GeoJSON.Feature);
      continue;
    }
    const series = f.properties.density_over_time;
    const density = step === null || !series ? f.properties.peak_density_p_per_m2 ?? 0 : series[step] ?? 0;
    if (density <= 0) continue;
    max = Math.max(max, density);
    cells.push({ type: 'Feature', geometry: f.geometry, properties: { density, colour: densityColour(density) } });
  }
  return { cells: { type: 'FeatureCollection', features: cells }, exits: { type: 'FeatureCollection', features: exits }, max };
}

/** Persons on the square and out through each exit at the end of a step. */
export function timelineAt(timeline: SimulationTimeline, step: number): {
  seconds: number; onSquare: number; out: { exit: string; persons: number }[];
} {
  const at = Math.min(Math.max(Math.round(step), 0), Math.max(timeline.end_s.length - 1, 0));
  return {
    seconds: timeline.end_s[at] ?? 0,
    onSquare: timeline.on_square[at] ?? 0,
    out: Object.entries(timeline.out_by_exit).map(([exit, counts]) => ({ exit, persons: counts[at] ?? 0 })),
  };
}

/** Bounds [w, s, e, n] of the grid's cells and exits, to show the square. */
export function gridBounds(grid: DensityCollection): [number, number, number, number] | null {
  let box: [number, number, number, number] | null = null;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as [number, number];
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)] : [x, y, x, y];
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  for (const f of grid.features) if ('coordinates' in f.geometry) visit(f.geometry.coordinates);
  return box;
}

const CELLS = 'sim-density';
const EXITS = 'sim-exits';

/** The two MapLibre layers, added on first use above the zones' ground fill. */
export class SimulationLayer {
  /** `loaded`: the map's own first 'load' (CrowdMap.whenLoaded), awaited from its construction. */
  constructor(private map: maplibregl.Map, private loaded: Promise<void>) {}

  /** Resolves once the map's style is loaded (layers cannot be added before). Not
   * `isStyleLoaded()` then `once('load')`: after the first load, isStyleLoaded() is false again
   * whenever a source is updating (the live zones every few seconds), and 'load' never comes
   * again — a run opened at such a moment was never drawn. */
  ready(): Promise<void> {
    return this.loaded;
  }

  show(data: ReturnType<typeof densityAt>): void {
    const map = this.map;
    const cells = map.getSource(CELLS) as maplibregl.GeoJSONSource | undefined;
    if (cells) {
      cells.setData(data.cells);
      (map.getSource(EXITS) as maplibregl.GeoJSONSource).setData(data.exits);
    } else {
      map.addSource(CELLS, geojsonSource(data.cells));
      map.addSource(EXITS, geojsonSource(data.exits));
      map.addLayer({ id: CELLS, type: 'fill', source: CELLS,
        paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.85, 'fill-outline-color': '#0b101655' } });
      map.addLayer({ id: EXITS, type: 'line', source: EXITS,
        paint: { 'line-color': '#3fd0ff', 'line-width': 5, 'line-opacity': 0.95 } });
    }
    for (const id of [CELLS, EXITS]) map.setLayoutProperty(id, 'visibility', 'visible');
    map.getContainer().dataset.simulationCells = String(data.cells.features.length);
  }

  hide(): void {
    for (const id of [CELLS, EXITS]) if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', 'none');
    delete this.map.getContainer().dataset.simulationCells;
  }
}
