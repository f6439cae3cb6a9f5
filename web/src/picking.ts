/** Which zone a click or tap means. A mouse click takes the zone on the ground under the pointer,
 * not the tallest extrusion standing in front of it in the 3D view. A finger is not a pointer: a
 * tap takes, among the zones within a few pixels, the one whose centre is nearest to the tap, so
 * thin zones on a phone are hit reliably and a neighbour is not taken by a few pixels' error. */

import type { Map as MapLibreMap, PointLike } from 'maplibre-gl';

const GROUND = ['zones-ground'];
const BLOCKS = ['zones-extrusion', 'zones-stale'];

function idOf(feature: { properties: Record<string, unknown> } | undefined): string | null {
  const id = feature?.properties.id;
  return typeof id === 'string' ? id : null;
}

export function isTouch(event: Event | undefined): boolean {
  if (!event) return false;
  return 'changedTouches' in event || (event as PointerEvent).pointerType === 'touch';
}

/** Ids of the zones drawn within `radius` px of the point (on the ground or as blocks). */
function near(map: MapLibreMap, point: { x: number; y: number }, radius: number): string[] {
  const layers = [...GROUND, ...BLOCKS].filter((l) => map.getLayer(l));
  const box: [PointLike, PointLike] = [[point.x - radius, point.y - radius], [point.x + radius, point.y + radius]];
  return [...new Set(map.queryRenderedFeatures(box, { layers }).map(idOf).filter((id): id is string => id !== null))];
}

/** Candidates by the distance of their centre (anchor) on screen to the point, nearest first. */
export function byDistance(
  candidates: readonly string[], point: { x: number; y: number }, project: (id: string) => { x: number; y: number } | null,
): { id: string; distance: number }[] {
  return candidates.map((id) => {
    const p = project(id);
    return { id, distance: p ? Math.hypot(p.x - point.x, p.y - point.y) : Infinity };
  }).sort((a, b) => a.distance - b.distance);
}

/** Who asks the operator when a tap could mean several zones (set by the page). */
let askWhich: ((ids: string[], at: { x: number; y: number }) => void) | null = null;

export function onAmbiguousTap(ask: (ids: string[], at: { x: number; y: number }) => void): void {
  askWhich = ask;
}

/** The candidate whose centre (anchor) projects nearest to the point. */
export function nearestAnchor(
  candidates: readonly string[], point: { x: number; y: number }, project: (id: string) => { x: number; y: number } | null,
): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const id of candidates) {
    const p = project(id);
    if (!p) continue;
    const d = Math.hypot(p.x - point.x, p.y - point.y);
    if (d < bestDistance) {
      best = id;
      bestDistance = d;
    }
  }
  return best;
}

export function pickZone(
  map: MapLibreMap, point: { x: number; y: number }, anchors: Record<string, [number, number]> = {},
  touch = false, touchRadius = 22,
): string | null | undefined {
  const project = (id: string): { x: number; y: number } | null => {
    const anchor = anchors[id];
    return anchor ? map.project(anchor) : null;
  };
  if (touch) {
    // One zone near the finger, or one clearly nearest: take it. Several about as near: ask which
    // (undefined = the operator is being asked; the selection stays as it is meanwhile).
    const ranked = byDistance(near(map, point, touchRadius), point, project)
      .filter((r, i) => i === 0 || r.distance <= touchRadius * 2);
    const [first, second] = ranked;
    if (!first) return null;
    if (!second) return first.id;
    if (!askWhich) return first.id;
    askWhich(ranked.slice(0, 4).map((r) => r.id), point);
    return undefined;
  }
  const layers = GROUND.filter((l) => map.getLayer(l));
  const ground = idOf(map.queryRenderedFeatures([point.x, point.y] as PointLike, { layers })[0]);
  if (ground) return ground;
  const blocks = BLOCKS.filter((l) => map.getLayer(l));
  return idOf(map.queryRenderedFeatures([point.x, point.y] as PointLike, { layers: blocks })[0])
    ?? nearestAnchor(near(map, point, 8), point, project);
}
