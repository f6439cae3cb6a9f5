/** What the map draws: one GeoJSON feature per zone with its colour, height and markings at the
 * slider's moment. Pure, so the picture for any state can be checked without WebGL. */

import { extrusionHeight, LEVEL_COLOURS } from './levels';
import { frameAt, liveFrame, mergeTimeline, NO_DATA, type ZoneFrame } from './timeline';
import type { DashboardState } from './store';
import type { ZoneFeature } from './types';

export interface ZoneRenderProperties {
  id: string;
  name: string;
  level: string;
  colour: string;
  height: number;
  stale: boolean;
  forecast: boolean;
  selected: boolean;
  /** Forecast only: the 90th percentile as a translucent hull around the p50 extrusion. */
  p90Height: number;
  p90Colour: string;
}

export interface ZoneRenderFeature {
  type: 'Feature';
  id: string;
  geometry: ZoneFeature['geometry'];
  properties: ZoneRenderProperties;
}

/** Every zone's frame at the slider's moment (live when the cursor is null). */
export function framesAt(state: DashboardState, nowMs: number | null): Record<string, ZoneFrame> {
  const frames: Record<string, ZoneFrame> = {};
  for (const zone of state.zones) {
    const live = state.live[zone.id];
    if (state.cursor === null || nowMs === null) {
      frames[zone.id] = live ? liveFrame(live) : NO_DATA;
      continue;
    }
    const points = mergeTimeline(
      zone.properties, nowMs, state.history[zone.id], live, state.forecast?.zones[zone.id],
    );
    frames[zone.id] = frameAt(points, state.cursor, zone.properties);
  }
  return frames;
}

export function zoneRenderFeature(
  zone: ZoneFeature, frame: ZoneFrame, selected: boolean, heightScale = 1,
): ZoneRenderFeature {
  const { thresholds, walkable_area_m2: area } = zone.properties;
  const forecast = frame.kind === 'forecast';
  const p90Density = forecast && frame.p90 !== null ? frame.p90 / area : null;
  return {
    type: 'Feature',
    id: zone.id,
    geometry: zone.geometry,
    properties: {
      id: zone.id,
      name: zone.properties.name,
      level: frame.level,
      colour: LEVEL_COLOURS[frame.level],
      height: extrusionHeight(frame.density, thresholds, heightScale),
      stale: frame.stale,
      forecast,
      selected,
      p90Height: p90Density === null ? 0 : extrusionHeight(p90Density, thresholds, heightScale),
      p90Colour: LEVEL_COLOURS[frame.levelP90 ?? frame.level],
    },
  };
}

export function zonesForMap(
  zones: readonly ZoneFeature[], frames: Record<string, ZoneFrame>, selected: string | null, heightScale = 1,
): { type: 'FeatureCollection'; features: ZoneRenderFeature[] } {
  return {
    type: 'FeatureCollection',
    features: zones.map((z) => zoneRenderFeature(z, frames[z.id] ?? NO_DATA, z.id === selected, heightScale)),
  };
}

/** Extrusions scale with the site: a red zone stands about a twentieth of the site's extent tall
 * (well above the buildings drawn among the zones), so heights read the same on a square of 300 m
 * and a boulevard of 3 km. */
export function heightScaleFor(box: [number, number, number, number] | null): number {
  if (!box) return 1;
  const [w, s, e, n] = box;
  const metresPerDegree = 111_320;
  const dx = (e - w) * metresPerDegree * Math.cos((((s + n) / 2) * Math.PI) / 180);
  const dy = (n - s) * metresPerDegree;
  const extent = Math.hypot(dx, dy);
  return Math.min(Math.max(extent / 2400, 0.3), 8);
}
