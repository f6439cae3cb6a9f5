/** The 3D map: MapLibre GL with zones extruded by density and coloured by level, stale zones
 * hatched with a dashed outline and a label, optional building footprints in grey. Offline by
 * default (no tiles, no glyphs, no sprites); a site may configure a basemap style URL. */

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';

import { bounds, interiorPoint, outerRing, principalBearing, type Position } from './geometry';
import { LEVEL_COLOURS, LEVELS } from './levels';
import { heightScaleFor, type ZoneRenderFeature } from './mapdata';
import { isTouch, pickZone } from './picking';
import type { SiteSummary, ZoneFeature } from './types';

maplibregl.setWorkerUrl(workerUrl);

const ZONE_LAYERS = ['zones-extrusion', 'zones-stale', 'zones-ground'];
const PITCHED = 55;

/** A style without tiles: a background the extrusions stand on. Nothing is fetched. */
function offlineStyle(): maplibregl.StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#0b1016' } }],
  };
}

/** Diagonal stripes in a level's colour over grey: the pattern of stale zones. */
function hatch(colour: string): { width: number; height: number; data: Uint8Array } {
  const size = 16;
  const data = new Uint8Array(size * size * 4);
  const rgb = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = (x + y) % 8 < 4;
      const o = (y * size + x) * 4;
      data[o] = stripe ? (rgb[0] ?? 0) : 0x4a;
      data[o + 1] = stripe ? (rgb[1] ?? 0) : 0x52;
      data[o + 2] = stripe ? (rgb[2] ?? 0) : 0x5c;
      data[o + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

export interface CrowdMapOptions {
  container: HTMLElement;
  site: SiteSummary;
  zones: ZoneFeature[];
  onSelect(zoneId: string | null): void;
}

export class CrowdMap {
  readonly map: maplibregl.Map;
  readonly anchors: Record<string, Position> = {};
  private loaded: Promise<void>;
  private pending: ZoneRenderFeature[] | null = null;
  private labels = new Map<string, maplibregl.Marker>();
  private hover: maplibregl.Popup;
  private pitched = true;
  private drawn: string | null = null;
  private bearing: number;
  readonly heightScale: number;

  constructor(private options: CrowdMapOptions) {
    const { site, zones } = options;
    for (const zone of zones) this.anchors[zone.id] = interiorPoint(outerRing(zone.geometry));
    const box = bounds(zones.map((z) => outerRing(z.geometry)));
    this.heightScale = heightScaleFor(box);
    this.bearing = principalBearing(zones.map((z) => outerRing(z.geometry)));
    this.map = new maplibregl.Map({
      container: options.container,
      style: site.basemap_style_url ?? offlineStyle(),
      center: site.center ?? (box ? [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2] : [0, 0]),
      zoom: site.zoom,
      pitch: PITCHED,
      bearing: this.bearing,
      maxPitch: 75,
      attributionControl: false,
      canvasContextAttributes: { antialias: true },
    });
    if (box) {
      const padding = { top: 60, bottom: 60, left: 60, right: Math.min(320, options.container.clientWidth / 4) };
      this.map.fitBounds(box, { padding, pitch: PITCHED, bearing: this.bearing, duration: 0 });
    }
    this.map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), 'top-left');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    this.hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'zone-hover', offset: 12 });
    this.loaded = new Promise((resolve) => this.map.once('load', () => resolve()));
    void this.loaded.then(() => this.addLayers());
  }

  private addLayers(): void {
    const map = this.map;
    for (const level of [...LEVELS, 'unknown'] as const) map.addImage(`hatch-${level}`, hatch(LEVEL_COLOURS[level]));
    map.addSource('zones', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'id' });
    map.addLayer({
      id: 'zones-ground', type: 'fill', source: 'zones',
      paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.25 },
    });
    map.addLayer({
      id: 'zones-extrusion', type: 'fill-extrusion', source: 'zones', filter: ['!', ['get', 'stale']],
      paint: {
        'fill-extrusion-color': ['get', 'colour'],
        'fill-extrusion-height': ['get', 'height'],
        'fill-extrusion-opacity': 0.88,
        'fill-extrusion-vertical-gradient': true,
      },
    });
    map.addLayer({
      id: 'zones-stale', type: 'fill-extrusion', source: 'zones', filter: ['get', 'stale'],
      paint: {
        'fill-extrusion-pattern': ['concat', 'hatch-', ['get', 'level']],
        'fill-extrusion-height': ['get', 'height'],
        'fill-extrusion-opacity': 0.9,
      },
    });
    // The forecast's uncertainty: a translucent hull up to the p90 height, in the p90 level's colour.
    map.addLayer({
      id: 'zones-p90', type: 'fill-extrusion', source: 'zones', filter: ['get', 'forecast'],
      paint: {
        'fill-extrusion-color': ['get', 'p90Colour'],
        'fill-extrusion-height': ['get', 'p90Height'],
        'fill-extrusion-opacity': 0.28,
      },
    });
    map.addLayer({
      id: 'zones-outline', type: 'line', source: 'zones',
      paint: { 'line-color': '#0b1016', 'line-width': 1, 'line-opacity': 0.8 },
    });
    map.addLayer({
      id: 'zones-stale-outline', type: 'line', source: 'zones', filter: ['get', 'stale'],
      paint: { 'line-color': '#c9d1d9', 'line-width': 2.5, 'line-dasharray': [2, 1.5] },
    });
    map.addLayer({
      id: 'zones-selected', type: 'line', source: 'zones', filter: ['get', 'selected'],
      paint: { 'line-color': '#ffffff', 'line-width': 3.5 },
    });
    // web-control: the zone on the ground under the pointer (see picking.ts), not the block in front.
    map.on('click', (e) => {
      const picked = pickZone(map, e.point, this.anchors, isTouch(e.originalEvent));
      if (picked !== undefined) this.options.onSelect(picked);
    });
    map.on('mousemove', (e) => {
      const hit = map.queryRenderedFeatures(e.point, { layers: ZONE_LAYERS })[0];
      map.getCanvas().style.cursor = hit ? 'pointer' : '';
      if (hit) this.hover.setLngLat(e.lngLat).setText(String(hit.properties.name)).addTo(map);
      else this.hover.remove();
    });
    map.on('mouseout', () => this.hover.remove());
    if (this.pending) this.setZones(this.pending);
  }

  /** Buildings (grey extrusions) and the path network (thin lines) from the site folder. */
  async addContext(buildings: GeoJSON.FeatureCollection | null, network: GeoJSON.FeatureCollection | null): Promise<void> {
    await this.loaded;
    const map = this.map;
    if (network) {
      map.addSource('network', { type: 'geojson', data: network });
      map.addLayer({
        id: 'network', type: 'line', source: 'network',
        paint: { 'line-color': '#3b4654', 'line-width': 1.5 },
      }, 'zones-ground');
    }
    if (buildings) {
      map.addSource('buildings', { type: 'geojson', data: buildings });
      map.addLayer({
        id: 'buildings', type: 'fill-extrusion', source: 'buildings',
        paint: {
          'fill-extrusion-color': '#8b949e',
          'fill-extrusion-height': ['coalesce', ['to-number', ['get', 'height']],
            ['*', 3, ['to-number', ['get', 'levels'], 0]], 12],
          'fill-extrusion-opacity': 0.7,
        },
      }, 'zones-extrusion');
    }
  }

  /** Redraw the zones; labels mark stale zones (text is HTML: the offline style has no glyphs). */
  setZones(features: ZoneRenderFeature[]): void {
    const source = this.map.getSource('zones') as maplibregl.GeoJSONSource | undefined;
    if (!source) {
      this.pending = features;
      return;
    }
    this.pending = null;
    // Re-parsing in the worker costs time (and queries see no features meanwhile): only on change.
    const signature = JSON.stringify(features.map((f) => f.properties));
    if (signature === this.drawn) return;
    this.drawn = signature;
    source.setData({ type: 'FeatureCollection', features } as GeoJSON.FeatureCollection);
    const stale = new Set(features.filter((f) => f.properties.stale).map((f) => f.id));
    for (const [id, marker] of this.labels) {
      if (!stale.has(id)) {
        marker.remove();
        this.labels.delete(id);
      }
    }
    for (const f of features) {
      if (!f.properties.stale || this.labels.has(f.id)) continue;
      const element = document.createElement('div');
      element.className = 'stale-label';
      element.textContent = '⚠ stale';
      element.title = `${f.properties.name}: no recent data`;
      const anchor = this.anchors[f.id];
      if (anchor) this.labels.set(f.id, new maplibregl.Marker({ element, anchor: 'bottom' }).setLngLat(anchor).addTo(this.map));
    }
  }

  /** Whether the zones have been handed to the map (an `idle` after this means they are drawn). */
  hasZones(): boolean {
    return this.drawn !== null;
  }

  /** Switch between the pitched 3D view and a top-down view. */
  togglePitch(): boolean {
    this.pitched = !this.pitched;
    this.map.easeTo({ pitch: this.pitched ? PITCHED : 0, bearing: this.bearing, duration: 600 });
    return this.pitched;
  }

  flyToZone(zoneId: string): void {
    const anchor = this.anchors[zoneId];
    if (anchor) this.map.easeTo({ center: anchor, duration: 500 });
  }

  /** Screen position (CSS pixels, page coordinates) of a point inside a zone, on the ground. */
  projectZone(zoneId: string): { x: number; y: number } | null {
    const anchor = this.anchors[zoneId];
    if (!anchor) return null;
    const point = this.map.project(anchor);
    const rect = this.map.getCanvas().getBoundingClientRect();
    return { x: rect.left + point.x, y: rect.top + point.y };
  }
}
