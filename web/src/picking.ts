/** Which zone a click or tap means: the zone on the ground under the pointer, not the tallest
 * extrusion standing in front of it in the 3D view. A tap that lands on no zone looks a few
 * pixels around (a finger is not a mouse pointer) and takes the nearest zone found there. */

import type { Map as MapLibreMap, PointLike } from 'maplibre-gl';

const GROUND = ['zones-ground'];
const BLOCKS = ['zones-extrusion', 'zones-stale'];

function idOf(feature: { properties: Record<string, unknown> } | undefined): string | null {
  const id = feature?.properties.id;
  return typeof id === 'string' ? id : null;
}

export function pickZone(map: MapLibreMap, point: { x: number; y: number }, touchRadius = 14): string | null {
  const layers = GROUND.filter((l) => map.getLayer(l));
  const ground = idOf(map.queryRenderedFeatures([point.x, point.y] as PointLike, { layers })[0]);
  if (ground) return ground;
  for (const r of [touchRadius / 2, touchRadius]) {
    const box: [PointLike, PointLike] = [[point.x - r, point.y - r], [point.x + r, point.y + r]];
    const near = idOf(map.queryRenderedFeatures(box, { layers })[0]);
    if (near) return near;
  }
  const blocks = BLOCKS.filter((l) => map.getLayer(l));
  return idOf(map.queryRenderedFeatures([point.x, point.y] as PointLike, { layers: blocks })[0]);
}
