/** GeoJSON sources for the map, all cut into tiles no finer than zoom 14. */

import type * as maplibregl from 'maplibre-gl';

/** MapLibre tiles a GeoJSON source in a web worker for every zoom up to the source's `maxzoom`
 * (18 by default). A pitched city view at zoom 16–17 asks for dozens of tiles per source, each
 * laid out anew — with 5,000 buildings and 1,000 zones that work, not the drawing, held the first
 * map back. Tiles of zoom 14 are about 1.5 km wide here with 8,192 units each (≈ 0.2 m): fine
 * enough for zones, buildings and routes, and drawn over-zoomed beyond. */
export const GEOJSON_MAXZOOM = 14;

export function geojsonSource(
  data: maplibregl.GeoJSONSourceSpecification['data'],
  options: Omit<maplibregl.GeoJSONSourceSpecification, 'type' | 'data'> = {},
): maplibregl.GeoJSONSourceSpecification {
  return { type: 'geojson', data, maxzoom: GEOJSON_MAXZOOM, ...options };
}
