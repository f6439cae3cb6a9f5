/** The time slider's data: past snapshots, the live state and the forecast merged per zone into one
 * series, and the zone's picture at any moment of it (history as recorded, forecast interpolated). */

import { levelForDensity } from './levels';
import type { ForecastPoint, HistoryPoint, Level, Thresholds, ZoneState } from './types';

export type PointKind = 'past' | 'now' | 'forecast';

export interface ZoneMeta {
  walkable_area_m2: number;
  capacity: number;
  thresholds: Thresholds;
}

/** What a zone looks like at one moment of the slider. */
export interface ZoneFrame {
  kind: PointKind;
  occupancy: number | null;
  density: number | null;
  level: Level;
  stale: boolean;
  /** Forecast only: the 10th and 90th percentile of occupancy, and the level at p90. */
  p10: number | null;
  p90: number | null;
  levelP90: Level | null;
  suppressed: boolean;
}

/** One moment of a zone's merged series. */
export interface ZonePoint extends ZoneFrame {
  t: number;
}

/** Past snapshots are written every 5 minutes: beyond this gap a moment has no recorded picture. */
export const MAX_PAST_GAP_MS = 15 * 60_000;

export const NO_DATA: ZoneFrame = {
  kind: 'past', occupancy: null, density: null, level: 'unknown', stale: false,
  p10: null, p90: null, levelP90: null, suppressed: false,
};

export function liveFrame(state: ZoneState): ZoneFrame {
  return {
    kind: 'now', occupancy: state.occupancy, density: state.density_per_m2, level: state.level,
    stale: state.stale, p10: null, p90: null, levelP90: null, suppressed: Boolean(state.suppressed),
  };
}

/** One series per zone: history up to now, the live state at now, the forecast after now.
 * History after now and forecast steps at or before now (an older run's past) are dropped. */
export function mergeTimeline(
  meta: ZoneMeta,
  nowMs: number,
  history: readonly HistoryPoint[] | undefined,
  live: ZoneState | undefined,
  forecast: readonly ForecastPoint[] | undefined,
): ZonePoint[] {
  const points: ZonePoint[] = [];
  for (const h of history ?? []) {
    const t = Date.parse(h.ts);
    if (Number.isNaN(t) || t >= nowMs) continue;
    points.push({
      t, kind: 'past', occupancy: h.occupancy, density: h.density, level: h.level, stale: h.stale,
      p10: null, p90: null, levelP90: null, suppressed: false,
    });
  }
  if (live) points.push({ t: nowMs, ...liveFrame(live) });
  for (const f of forecast ?? []) {
    const t = Date.parse(f.ts);
    if (Number.isNaN(t) || t <= nowMs) continue;
    const density = f.density_p50 ?? (f.p50 === null ? null : f.p50 / meta.walkable_area_m2);
    points.push({
      t, kind: 'forecast', occupancy: f.p50, density, level: f.level, stale: false,
      p10: f.p10, p90: f.p90, levelP90: f.level_p90, suppressed: false,
    });
  }
  points.sort((a, b) => a.t - b.t);
  return points;
}

function lerp(a: number | null, b: number | null, w: number): number | null {
  if (a === null || b === null) return w < 0.5 ? a : b;
  return a + (b - a) * w;
}

/** The zone at moment t: past moments as recorded (the newest snapshot at or before t, if recent
 * enough), future moments interpolated between the live state and the forecast steps. */
export function frameAt(points: readonly ZonePoint[], t: number, meta: ZoneMeta): ZoneFrame {
  if (points.length === 0) return NO_DATA;
  let after = points.findIndex((p) => p.t > t);
  if (after === -1) after = points.length;
  const before = after - 1;
  const prev = before >= 0 ? points[before] : undefined;
  const next = after < points.length ? points[after] : undefined;
  if (prev && prev.t === t) return pointFrame(prev);
  if (next && next.kind === 'forecast' && prev && prev.kind !== 'past') {
    const w = (t - prev.t) / (next.t - prev.t);
    const occupancy = lerp(prev.occupancy, next.occupancy, w);
    const p90 = lerp(prev.kind === 'forecast' ? prev.p90 : prev.occupancy, next.p90, w);
    const p10 = lerp(prev.kind === 'forecast' ? prev.p10 : prev.occupancy, next.p10, w);
    const density = occupancy === null ? null : occupancy / meta.walkable_area_m2;
    return {
      kind: 'forecast', occupancy, density,
      level: levelForDensity(density, meta.thresholds, occupancy, meta.capacity),
      stale: false, p10, p90,
      levelP90: p90 === null ? null
        : levelForDensity(p90 / meta.walkable_area_m2, meta.thresholds, p90, meta.capacity),
      suppressed: false,
    };
  }
  const recordedPast = prev?.kind === 'past' && next?.kind !== 'forecast';
  if (prev && recordedPast && t - prev.t <= MAX_PAST_GAP_MS) return pointFrame(prev);
  return NO_DATA;
}

function pointFrame({ t: _t, ...frame }: ZonePoint): ZoneFrame {
  return frame;
}

export interface TimeDomain {
  start: number;
  now: number;
  end: number;
}

/** The slider's range: `pastHours` back from now to the last forecast step (or now), at most
 * `aheadHours` ahead. */
export function timeDomain(
  nowMs: number, pastHours: number, forecastEnds: readonly number[], aheadHours = Infinity,
): TimeDomain {
  const future = forecastEnds.filter((t) => t > nowMs);
  const end = future.length ? Math.min(Math.max(...future), nowMs + aheadHours * 3_600_000) : nowMs;
  return { start: nowMs - pastHours * 3_600_000, now: nowMs, end };
}

/** The last forecast moment of every zone (for the slider's end). */
export function forecastEnds(forecast: Record<string, readonly ForecastPoint[]> | undefined): number[] {
  const ends: number[] = [];
  for (const points of Object.values(forecast ?? {})) {
    const last = points[points.length - 1];
    if (last) ends.push(Date.parse(last.ts));
  }
  return ends;
}

/** Snap a slider moment: past to the 5-minute history step, future to the 15-minute forecast step;
 * anything within half a step of now is now. */
export function snapTime(t: number, domain: TimeDomain): number {
  const clamped = Math.min(Math.max(t, domain.start), domain.end);
  const step = clamped < domain.now ? 5 * 60_000 : 15 * 60_000;
  if (Math.abs(clamped - domain.now) < step / 2) return domain.now;
  const snapped = Math.round(clamped / step) * step;
  return Math.min(Math.max(snapped, domain.start), domain.end);
}

/** Playback: the next moment, or done when the end is reached. */
export function advance(t: number, domain: TimeDomain, stepMs: number): { t: number; done: boolean } {
  const next = t + stepMs;
  if (next >= domain.end) return { t: domain.end, done: true };
  return { t: next, done: false };
}
