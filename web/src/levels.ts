/** Level colours, order and the density → level rule (the same rule as csm.domain.levels). */

import type { LegendRow, Level, Thresholds } from './types';

export const LEVELS: readonly Level[] = ['green', 'yellow', 'orange', 'red'];

/** Colours that stay apart for protanopia, deuteranopia and tritanopia: simulated (Machado 2009)
 * CIEDE2000 ≥ 20 between adjacent levels (tests/e2e/test_map.py checks the rendered colours). The
 * ramp runs in lightness (pale yellow, mid orange, dark crimson) so it survives any hue loss, and
 * green is a blue-green that no deficiency confuses with yellow. Never the only channel: see
 * levelMark. */
export const LEVEL_COLOURS: Readonly<Record<Level, string>> = {
  green: '#1a9e8f',
  yellow: '#fff9b0',
  orange: '#e0822a',
  red: '#a8123c',
  unknown: '#6e7681',
};

/** Text colour with contrast ≥ 4.5:1 on each level colour (labels and chips on the colour). */
export const LEVEL_TEXT_COLOURS: Readonly<Record<Level, string>> = {
  green: '#000000',
  yellow: '#000000',
  orange: '#000000',
  red: '#ffffff',
  unknown: '#000000',
};

/** The level's second channel, for maps and lists: a letter that reads without colour. */
export const LEVEL_MARKS: Readonly<Record<Level, string>> = {
  green: 'G',
  yellow: 'Y',
  orange: 'O',
  red: 'R',
  unknown: '–',
};

/** Short mark of a level (G, Y, O, R; – for no data): show it beside every level colour. */
export function levelMark(level: Level): string {
  return LEVEL_MARKS[level];
}

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
