/** The zone panel's chart as SVG path data: density over the last hours, the forecast p50 and its
 * p10–p90 band, the level thresholds and a "now" line. Pure: no DOM. */

import type { ZoneMeta, ZonePoint } from './timeline';

export interface ChartModel {
  width: number;
  height: number;
  past: string;
  p50: string;
  band: string;
  nowX: number | null;
  cursorX: number | null;
  thresholds: { level: 'yellow' | 'orange' | 'red'; y: number }[];
  yMax: number;
  /** The y-axis scale: density values and their heights, from 0 to the top. */
  ticks: { value: number; y: number }[];
  start: number;
  end: number;
}

const PAD = { left: 34, right: 4, top: 8, bottom: 4 };

function path(coords: [number, number][]): string {
  return coords.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

export function chartModel(
  points: readonly ZonePoint[], meta: ZoneMeta, nowMs: number, cursor: number | null,
  width = 320, height = 120,
): ChartModel {
  const area = meta.walkable_area_m2;
  const density = (value: number | null): number | null => (value === null ? null : value / area);
  const times = points.map((p) => p.t);
  const start = Math.min(nowMs, ...times);
  const end = Math.max(nowMs, ...times);
  const peaks = points.map((p) => Math.max(p.density ?? 0, density(p.p90) ?? 0));
  const yMax = Math.max(meta.thresholds.red * 1.15, ...peaks.map((v) => v * 1.1));
  const x = (t: number): number =>
    PAD.left + (end > start ? ((t - start) / (end - start)) * (width - PAD.left - PAD.right) : 0);
  const y = (v: number): number => PAD.top + (1 - v / yMax) * (height - PAD.top - PAD.bottom);

  const pastCoords: [number, number][] = [];
  for (const p of points) {
    if (p.kind === 'forecast' || p.density === null) continue;
    pastCoords.push([x(p.t), y(p.density)]);
  }
  const now = points.find((p) => p.kind === 'now');
  const future = points.filter((p) => p.kind === 'forecast');
  const p50Coords: [number, number][] = [];
  const upper: [number, number][] = [];
  const lower: [number, number][] = [];
  if (future.length) {
    if (now && now.density !== null) {
      p50Coords.push([x(now.t), y(now.density)]);
      upper.push([x(now.t), y(now.density)]);
      lower.push([x(now.t), y(now.density)]);
    }
    for (const p of future) {
      const d50 = p.density;
      const d10 = density(p.p10);
      const d90 = density(p.p90);
      if (d50 !== null) p50Coords.push([x(p.t), y(d50)]);
      if (d10 !== null && d90 !== null) {
        upper.push([x(p.t), y(d90)]);
        lower.push([x(p.t), y(d10)]);
      }
    }
  }
  const band = upper.length > 1 ? `${path([...upper, ...lower.reverse()])}Z` : '';
  return {
    width, height, yMax, start, end,
    ticks: niceTicks(yMax).map((value) => ({ value, y: y(value) })),
    past: pastCoords.length > 1 ? path(pastCoords) : '',
    p50: p50Coords.length > 1 ? path(p50Coords) : '',
    band,
    nowX: x(nowMs),
    cursorX: cursor === null ? null : x(Math.min(Math.max(cursor, start), end)),
    thresholds: (['yellow', 'orange', 'red'] as const).map((level) => ({ level, y: y(meta.thresholds[level]) })),
  };
}

/** Round steps (0.25, 0.5, 1, 2 ... p/m²) from 0 up to the chart's top: at most five labels. */
export function niceTicks(max: number): number[] {
  const step = [0.1, 0.25, 0.5, 1, 2, 5, 10].find((s) => max / s <= 4) ?? Math.ceil(max / 4);
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push(Math.round(v * 100) / 100);
  return ticks;
}

export interface Trend {
  direction: 'rising' | 'falling' | 'steady';
  /** Change in persons/m² over the window. */
  delta: number;
  minutes: number;
}

/** Rising or falling over the last 15 minutes: the newest recorded density against the one about
 * 15 minutes before it (at least 10 minutes back). A change under 0.02 p/m² (or 3 %) is steady. */
export function trendOver(points: readonly ZonePoint[], nowMs: number, windowMin = 15): Trend | null {
  const recorded = points.filter((p) => p.kind !== 'forecast' && p.density !== null && p.t <= nowMs);
  const last = recorded[recorded.length - 1];
  if (!last || last.density === null) return null;
  const target = last.t - windowMin * 60_000;
  const earlier = recorded.filter((p) => p.t <= last.t - 10 * 60_000 && p.t >= target - 10 * 60_000);
  const base = earlier.sort((a, b) => Math.abs(a.t - target) - Math.abs(b.t - target))[0];
  if (!base || base.density === null) return null;
  const delta = last.density - base.density;
  const minutes = Math.round((last.t - base.t) / 60_000);
  const small = Math.abs(delta) < Math.max(0.02, Math.abs(base.density) * 0.03);
  return { direction: small ? 'steady' : delta > 0 ? 'rising' : 'falling', delta, minutes };
}
