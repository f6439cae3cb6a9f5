/** The basemap under the zones, in one of three ways chosen in site.yaml (`basemap:`): an online
 * MapLibre style, an offline PMTiles archive served by the API (read with the `pmtiles`
 * protocol), or the site's GeoJSON context layer. The last two are drawn with the styles below. */

import * as maplibregl from 'maplibre-gl';
import { Protocol } from 'pmtiles';

import type { MapTheme } from './theme';
import { geojsonSource } from './geojson';

export interface BasemapInfo {
  kind: 'style' | 'pmtiles' | 'context' | 'none';
  theme: 'dark' | 'light';
  style_url: string | null;
  pmtiles_url: string | null;
  context_url: string | null;
}

/** Ids of the layers the basemap adds (tests query them; the theme restyles them). */
export const BASEMAP_LAYERS = [
  'basemap-background', 'basemap-sea', 'basemap-beach', 'basemap-dunes', 'basemap-park', 'basemap-harbour',
  'basemap-boulevard', 'basemap-pier', 'basemap-street-casing', 'basemap-street', 'basemap-tram',
  'basemap-tram-stop', 'basemap-landmark',
] as const;

let protocolAdded = false;

function registerPmtiles(): void {
  if (protocolAdded) return;
  const protocol = new Protocol();
  maplibregl.addProtocol('pmtiles', protocol.tile);
  protocolAdded = true;
}

function kindFilter(...kinds: string[]): maplibregl.FilterSpecification {
  return ['in', ['get', 'kind'], ['literal', kinds]];
}

/** The layers that draw a context source (GeoJSON, or the `context` layer of a PMTiles archive). */
export function contextLayers(theme: MapTheme, source: string, sourceLayer?: string): maplibregl.LayerSpecification[] {
  const from = sourceLayer ? { source, 'source-layer': sourceLayer } : { source };
  const fill = (id: string, kinds: string[], colour: string): maplibregl.LayerSpecification =>
    ({ id, type: 'fill', ...from, filter: kindFilter(...kinds), paint: { 'fill-color': colour } });
  return [
    fill('basemap-sea', ['sea'], theme.sea),
    fill('basemap-beach', ['beach'], theme.beach),
    fill('basemap-dunes', ['dunes'], theme.dunes),
    fill('basemap-park', ['park'], theme.park),
    fill('basemap-harbour', ['harbour'], theme.harbour),
    fill('basemap-boulevard', ['boulevard'], theme.boulevard),
    fill('basemap-pier', ['pier'], theme.pier),
    { id: 'basemap-street-casing', type: 'line', ...from, filter: kindFilter('street'),
      paint: { 'line-color': theme.streetCasing, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 3, 17, 14] },
      layout: { 'line-cap': 'round', 'line-join': 'round' } },
    { id: 'basemap-street', type: 'line', ...from, filter: kindFilter('street'),
      paint: { 'line-color': theme.street, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 17, 10] },
      layout: { 'line-cap': 'round', 'line-join': 'round' } },
    { id: 'basemap-tram', type: 'line', ...from, filter: kindFilter('tram'),
      paint: { 'line-color': theme.tram, 'line-width': 2.5, 'line-dasharray': [3, 1.5] } },
    { id: 'basemap-tram-stop', type: 'circle', ...from, filter: kindFilter('tram_stop'),
      paint: { 'circle-color': theme.tramStop, 'circle-radius': 5, 'circle-stroke-color': theme.streetCasing,
        'circle-stroke-width': 2 } },
    fill('basemap-landmark', ['landmark'], theme.landmark),
  ];
}

/** The map's style: an online style as is, or our own style over local data. */
export function basemapStyle(info: BasemapInfo, theme: MapTheme): string | maplibregl.StyleSpecification {
  if (info.kind === 'style' && info.style_url) return info.style_url;
  const background: maplibregl.LayerSpecification = {
    id: 'basemap-background', type: 'background', paint: { 'background-color': theme.background },
  };
  if (info.kind === 'pmtiles' && info.pmtiles_url) {
    registerPmtiles();
    const url = `pmtiles://${new URL(info.pmtiles_url, window.location.href).href}`;
    return {
      version: 8,
      sources: { basemap: { type: 'vector', url, attribution: '' } },
      layers: [background, ...contextLayers(theme, 'basemap', 'context')],
    };
  }
  if (info.kind === 'context' && info.context_url) {
    return {
      version: 8,
      sources: { basemap: geojsonSource(info.context_url) },
      layers: [background, ...contextLayers(theme, 'basemap')],
    };
  }
  return { version: 8, sources: {}, layers: [background] };
}

/** Restyle our basemap layers for another theme (an online style is left as it is). */
export function applyTheme(map: maplibregl.Map, theme: MapTheme): void {
  const paint: Record<string, [string, string | number]> = {
    'basemap-background': ['background-color', theme.background],
    'basemap-sea': ['fill-color', theme.sea], 'basemap-beach': ['fill-color', theme.beach],
    'basemap-dunes': ['fill-color', theme.dunes], 'basemap-park': ['fill-color', theme.park],
    'basemap-harbour': ['fill-color', theme.harbour], 'basemap-boulevard': ['fill-color', theme.boulevard],
    'basemap-pier': ['fill-color', theme.pier], 'basemap-street-casing': ['line-color', theme.streetCasing],
    'basemap-street': ['line-color', theme.street], 'basemap-tram': ['line-color', theme.tram],
    'basemap-tram-stop': ['circle-color', theme.tramStop], 'basemap-landmark': ['fill-color', theme.landmark],
    buildings: ['fill-extrusion-color', theme.building], 'zones-outline': ['line-color', theme.zoneOutline],
  };
  for (const [layer, [property, value]] of Object.entries(paint)) {
    if (map.getLayer(layer)) map.setPaintProperty(layer, property as Parameters<maplibregl.Map['setPaintProperty']>[1], value);
  }
  if (map.getLayer('buildings')) map.setPaintProperty('buildings', 'fill-extrusion-opacity', theme.buildingOpacity);
}
