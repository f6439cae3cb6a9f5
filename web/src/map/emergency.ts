/** The emergency layer: posts of the emergency services (first aid, ambulance, police, fire) and
 * the access routes of the current advice, each segment marked where it passes an orange or red
 * zone. Routes come from the API (GET .../routes?zone=Z), for the zones the advice concerns. */

import type * as maplibregl from 'maplibre-gl';

import { getJson, siteUrl } from '../api';
import { outerRing, pointInRing, type Position } from '../geometry';
import type { Advice, Level, ZoneFeature } from '../types';
import type { LabelSpec } from './labels';
import { geojsonSource } from './geojson';

export const EMERGENCY_LAYERS = ['emergency-routes-casing', 'emergency-routes', 'emergency-routes-hazard',
  'emergency-posts'] as const;

export const SERVICE_MARKS: Readonly<Record<string, { mark: string; colour: string; label: string }>> = {
  first_aid: { mark: '✚', colour: '#2ecc71', label: 'First aid' },
  ambulance: { mark: 'A', colour: '#f5f5f5', label: 'Ambulance' },
  police: { mark: 'P', colour: '#4c8dff', label: 'Police' },
  fire: { mark: 'F', colour: '#ff5a36', label: 'Fire brigade' },
};

/** Roles whose dashboard opens with the emergency layer on. */
export const EMERGENCY_ROLES = new Set(['police', 'emergency_services']);

export interface RouteFeature {
  type: 'Feature';
  geometry: { type: 'LineString'; coordinates: Position[] };
  properties: { post: string; zone: string; mode: string; length_m: number; zones_passed: string[] };
}

/** Zones to show access routes to: those the emergency services' and police's advice is about,
 * else the zones now orange or red (worst first), else the selected zone. At most three. */
export function routeTargets(advice: Advice[], levels: Record<string, Level>, selected: string | null): string[] {
  const advised = advice.filter((a) => a.owner === 'emergency_services' || a.owner === 'police').map((a) => a.zone_id);
  const hot = Object.entries(levels).filter(([, l]) => l === 'red').map(([z]) => z)
    .concat(Object.entries(levels).filter(([, l]) => l === 'orange').map(([z]) => z));
  const chosen = [...new Set([...(selected ? [selected] : []), ...advised, ...hot])];
  return chosen.slice(0, 3);
}

/** Split routes into segments marked `hazard` where the segment's middle lies in an orange or red
 * zone: the crew must expect a crowd there. Pure. */
export function routeSegments(
  routes: RouteFeature[], zones: ZoneFeature[], levels: Record<string, Level>,
): GeoJSON.FeatureCollection {
  const hot = zones.filter((z) => levels[z.id] === 'orange' || levels[z.id] === 'red');
  const features: GeoJSON.Feature[] = [];
  for (const route of routes) {
    const coords = route.geometry.coordinates;
    for (let i = 1; i < coords.length; i++) {
      const a = coords[i - 1];
      const b = coords[i];
      if (!a || !b) continue;
      const middle: Position = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      const zone = hot.find((z) => pointInRing(middle, outerRing(z.geometry)));
      features.push({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: [a, b] },
        properties: { post: route.properties.post, target: route.properties.zone, hazard: Boolean(zone),
          hazardZone: zone?.id ?? null, hazardLevel: zone ? levels[zone.id] : null },
      });
    }
  }
  return { type: 'FeatureCollection', features };
}

export async function loadPosts(siteId: string): Promise<GeoJSON.FeatureCollection | null> {
  try {
    return await getJson<GeoJSON.FeatureCollection>(siteUrl(siteId, '/posts'));
  } catch {
    return null;
  }
}

export async function loadRoutes(siteId: string, zoneIds: string[]): Promise<RouteFeature[]> {
  const answers = await Promise.all(zoneIds.map((zone) =>
    getJson<{ features: RouteFeature[] }>(siteUrl(siteId, `/routes?zone=${encodeURIComponent(zone)}`))
      .catch(() => ({ features: [] as RouteFeature[] }))));
  return answers.flatMap((a) => a.features);
}

export function postLabels(posts: GeoJSON.FeatureCollection): LabelSpec[] {
  return posts.features.flatMap((f) => {
    const p = f.properties ?? {};
    const service = SERVICE_MARKS[String(p.service)] ?? { mark: '•', colour: '#ffffff', label: String(p.service) };
    if (f.geometry.type !== 'Point') return [];
    return [{ id: `post-${String(p.id)}`, kind: 'post' as const, text: `${service.mark} ${String(p.name)}`,
      at: f.geometry.coordinates as Position, priority: 200, classes: [`service-${String(p.service)}`],
      title: `${service.label}: ${String(p.name)}` }];
  });
}

/** Add the emergency sources and layers (hidden until shown). */
export function addEmergencyLayers(map: maplibregl.Map, before?: string): void {
  const empty: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };
  map.addSource('emergency-posts', geojsonSource(empty));
  map.addSource('emergency-routes', geojsonSource(empty));
  const hidden = { visibility: 'none' as const };
  map.addLayer({ id: 'emergency-routes-casing', type: 'line', source: 'emergency-routes', layout: { ...hidden, 'line-cap': 'round' },
    paint: { 'line-color': '#000000', 'line-width': 9, 'line-opacity': 0.7 } }, before);
  map.addLayer({ id: 'emergency-routes', type: 'line', source: 'emergency-routes', layout: { ...hidden, 'line-cap': 'round' },
    paint: { 'line-color': '#3fd0ff', 'line-width': 5 } }, before);
  // Where the route crosses an orange or red zone: a striped overlay (white dashes), not colour alone.
  map.addLayer({ id: 'emergency-routes-hazard', type: 'line', source: 'emergency-routes', filter: ['get', 'hazard'],
    layout: hidden, paint: { 'line-color': '#ffffff', 'line-width': 5, 'line-dasharray': [1, 1] } }, before);
  map.addLayer({ id: 'emergency-posts', type: 'circle', source: 'emergency-posts', layout: hidden,
    paint: {
      'circle-radius': 9, 'circle-stroke-width': 3, 'circle-stroke-color': '#000000',
      'circle-color': ['match', ['get', 'service'], 'first_aid', SERVICE_MARKS.first_aid?.colour ?? '#fff',
        'ambulance', SERVICE_MARKS.ambulance?.colour ?? '#fff', 'police', SERVICE_MARKS.police?.colour ?? '#fff',
        'fire', SERVICE_MARKS.fire?.colour ?? '#fff', '#ffffff'],
    } });
}

export function setEmergencyVisible(map: maplibregl.Map, on: boolean): void {
  for (const id of EMERGENCY_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}
