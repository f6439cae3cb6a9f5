/** Level colours, order and the density → level rule (the same rule as csm.domain.levels). */

import type { LegendRow, Level, Thresholds } from './types';

export const LEVELS: readonly Level[] = ['green', 'yellow', 'orange', 'red'];

/** Colours chosen to stay apart for common colour-vision deficiencies and on a dark map. */
export const LEVEL_COLOURS: Readonly<Record<Level, string>> = {
  green: '#2ea043',
  yellow: '#e3b341',
  orange: '#f0883e',
  red: '#e5484d',
  unknown: '#6e7681',
};

export const LEVEL_LABELS: Readonly<Record<Level, string>> = {
  green: 'Green',
  yellow: 'Yellow',
  orange: 'Orange',
  red: 'Red',
  unknown: 'No data',
};

export function levelRank(level: Level): number {
  return level === 'unknown' ? -1 : LEVELS.indexOf(level);
}

/** Density → level; a zone at or above its capacity is red whatever its density. */
export function levelForDensity(
  density: number | null | undefined,
  thresholds: Thresholds,
  occupancy?: number | null,
  capacity?: number | null,
): Level {
  if (density === null || density === undefined || Number.isNaN(density)) return 'unknown';
  if (capacity && occupancy !== null && occupancy !== undefined && capacity > 0 && occupancy >= capacity) return 'red';
  if (density >= thresholds.red) return 'red';
  if (density >= thresholds.orange) return 'orange';
  if (density >= thresholds.yellow) return 'yellow';
  return 'green';
}

/** Legend rows from a zone's own thresholds (zones may override the site defaults). */
export function legendFor(thresholds: Thresholds): LegendRow[] {
  return [
    { level: 'green', density_from: 0, density_to: thresholds.yellow, meaning: '' },
    { level: 'yellow', density_from: thresholds.yellow, density_to: thresholds.orange, meaning: '' },
    { level: 'orange', density_from: thresholds.orange, density_to: thresholds.red, meaning: '' },
    { level: 'red', density_from: thresholds.red, density_to: null, meaning: '' },
  ];
}

/** Extrusion height in metres: proportional to density relative to the zone's red threshold,
 * capped so one overfull zone does not hide the rest; zones without data lie flat. */
export function extrusionHeight(density: number | null | undefined, thresholds: Thresholds, scale = 1): number {
  const FLAT = 2;
  const FULL = 120;
  if (density === null || density === undefined || Number.isNaN(density)) return FLAT;
  const ratio = Math.min(Math.max(density / thresholds.red, 0), 1.5);
  return Math.round((FLAT + 6 + FULL * ratio) * scale * 10) / 10;
}
