/** The 3D map: MapLibre GL with zones extruded by density, coloured by level and labelled with the
 * level's mark, stale zones hatched with a dashed outline and a label, on a basemap (online style,
 * offline PMTiles or the site's context layer: map/basemap.ts) with translucent 3D buildings,
 * HTML labels (map/labels.ts), a north arrow, a scale bar and the emergency layer
 * (map/emergency.ts). Nothing is fetched from elsewhere unless the site configures a style URL. */

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';

import { bounds, interiorPoint, outerRing, principalBearing, screenBearing, type Position } from './geometry';
import { LEVEL_COLOURS, LEVELS, levelMark, levelRank } from './levels';
import { basemapStyle, applyTheme, type BasemapInfo } from './map/basemap';
import { MapToggles, NorthArrow } from './map/controls';
import {
  addEmergencyLayers, loadPosts, loadRoutes, postLabels, routeSegments, routeTargets, setEmergencyVisible,
} from './map/emergency';
import { LabelLayer, lineLabelPoint, type LabelSpec } from './map/labels';
import { initialTheme, rememberTheme, THEMES, type ThemeName } from './map/theme';
import { heightScaleFor, type ZoneRenderFeature } from './mapdata';
import { isTouch, pickZone } from './picking';
import type { Advice, Level, SiteSummary, ZoneFeature } from './types';
import { geojsonSource } from './map/geojson';

maplibregl.setWorkerUrl(workerUrl);

const ZONE_LAYERS = ['zones-extrusion', 'zones-stale', 'zones-ground'];
const PITCHED = 55;

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
  basemap: BasemapInfo;
  /** Open with the emergency layer on (police and ambulance roles). */
  emergency: boolean;
  /** May read access routes (view alerts). */
  routes: boolean;
  onSelect(zoneId: string | null): void;
}

export class CrowdMap {
  readonly map: maplibregl.Map;
  readonly anchors: Record<string, Position> = {};
  private loaded: Promise<void>;
  private pending: ZoneRenderFeature[] | null = null;
  private hover: maplibregl.Popup;
  private pitched = true;
  private drawn: string | null = null;
  private bearing: number;
  readonly heightScale: number;
  readonly labelLayer: LabelLayer;
  theme: ThemeName;
  emergencyOn: boolean;
  private levels: Record<string, Level> = {};
  private routeKey = '';
  private routeFetched = 0;

  constructor(private options: CrowdMapOptions) {
    const { site, zones } = options;
    for (const zone of zones) this.anchors[zone.id] = interiorPoint(outerRing(zone.geometry));
    const box = bounds(zones.map((z) => outerRing(z.geometry)));
    this.heightScale = heightScaleFor(box);
    this.bearing = screenBearing(principalBearing(zones.map((z) => outerRing(z.geometry))),
      options.container.clientWidth, options.container.clientHeight);
    this.theme = initialTheme(options.basemap.theme);
    this.emergencyOn = options.emergency;
    options.container.dataset.theme = this.theme;
    this.map = new maplibregl.Map({
      container: options.container,
      style: basemapStyle(options.basemap, THEMES[this.theme]),
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
    this.map.addControl(new NorthArrow(), 'top-left');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 160 }), 'bottom-left');
    this.map.addControl(new MapToggles([
      { id: 'toggle-theme', title: 'Switch the map between the dark and the light theme', initial: this.theme === 'light',
        label: (on) => (on ? 'Dark map' : 'Light map'), onChange: (on) => this.setTheme(on ? 'light' : 'dark') },
      { id: 'toggle-emergency', title: 'Emergency posts and access routes on the map', initial: this.emergencyOn,
        label: (on) => (on ? 'Emergency layer: on' : 'Emergency layer: off'), onChange: (on) => this.setEmergency(on) },
    ]), 'top-left');
    this.labelLayer = new LabelLayer(this.map);
    this.hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'zone-hover', offset: 12 });
    this.loaded = new Promise((resolve) => this.map.once('load', () => resolve()));
    // The lon/lat box of a diagonal coast is far larger than the coast turned to the screen: zoom
    // in until the zones themselves fill the view.
    this.fitZones();
    void this.loaded.then(() => this.addLayers());
  }

  private addLayers(): void {
    const map = this.map;
    for (const level of [...LEVELS, 'unknown'] as const) map.addImage(`hatch-${level}`, hatch(LEVEL_COLOURS[level]));
    map.addSource('zones', geojsonSource({ type: 'FeatureCollection', features: [] }, { promoteId: 'id' }));
    addEmergencyLayers(map);
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
      paint: { 'line-color': THEMES[this.theme].zoneOutline, 'line-width': 1, 'line-opacity': 0.8 },
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
    if (this.pending) this.drawZones(this.pending);
    void this.addEmergency();
    void this.addContextLabels();
  }

  /** Zoom and centre so the zones' outline, turned to the map's bearing, fills the free part of
   * the map (the legend covers the right-hand side). Computed in metres on the ground, so the
   * pitched camera's perspective cannot mislead it. */
  fitZones(): void {
    const points = this.options.zones.flatMap((z) => outerRing(z.geometry)) as Position[];
    if (!points.length) return;
    const lat0 = points.reduce((sum, p) => sum + p[1], 0) / points.length;
    const lon0 = points.reduce((sum, p) => sum + p[0], 0) / points.length;
    const mx = 111_320 * Math.cos((lat0 * Math.PI) / 180);
    const my = 110_540;
    // The camera's bearing b puts the ground direction b (clockwise from north) at the top: in
    // east/north metres, the screen frame is the ground turned by +b.
    const turn = (this.bearing * Math.PI) / 180;
    const local = points.map(([lon, lat]) => {
      const x = (lon - lon0) * mx;
      const y = (lat - lat0) * my;
      return [x * Math.cos(turn) - y * Math.sin(turn), x * Math.sin(turn) + y * Math.cos(turn)] as const;
    });
    const xs = local.map((p) => p[0]);
    const ys = local.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const canvas = this.map.getCanvas();
    const freeWidth = Math.max(canvas.clientWidth - Math.min(300, canvas.clientWidth / 4) - 80, 100);
    const freeHeight = Math.max(canvas.clientHeight - 80, 100);
    // Depth is foreshortened by the pitch: a pitched view shows about twice the depth per pixel.
    const metresPerPixel = Math.max((x1 - x0) / freeWidth, (y1 - y0) / (freeHeight * 2), 0.05);
    const zoom = Math.log2((40_075_016.686 * Math.cos((lat0 * Math.PI) / 180)) / (512 * metresPerPixel));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const back = -turn;
    const ex = cx * Math.cos(back) - cy * Math.sin(back);
    const ey = cx * Math.sin(back) + cy * Math.cos(back);
    this.map.jumpTo({ center: [lon0 + ex / mx, lat0 + ey / my], zoom: Math.min(zoom, 18) });
    // Shift left by half the legend's width, so the zones sit in the free part.
    this.map.panBy([Math.min(300, canvas.clientWidth / 4) / 2, 0], { duration: 0 });
  }

  /** Names from the site's context layer: streets, landmarks, tram stops. */
  private async addContextLabels(): Promise<void> {
    const url = this.options.basemap.context_url;
    if (!url) return;
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return;
    const context = (await response.json()) as GeoJSON.FeatureCollection;
    const specs: LabelSpec[] = [];
    context.features.forEach((f, i) => {
      const kind = String(f.properties?.kind ?? '');
      const name = String(f.properties?.name ?? '');
      if (!name) return;
      const g = f.geometry;
      if (kind === 'street' && g.type === 'LineString') {
        const at = lineLabelPoint(g.coordinates as Position[]);
        if (at) specs.push({ id: `street-${i}`, kind: 'street', text: name, at, priority: 20 });
      } else if (kind === 'tram_stop' && g.type === 'Point') {
        specs.push({ id: `stop-${i}`, kind: 'tram-stop', text: `Tram ${name}`, at: g.coordinates as Position, priority: 30 });
      } else if ((kind === 'landmark' || kind === 'pier' || kind === 'harbour' || kind === 'sea') && g.type === 'Polygon') {
        const at = interiorPoint(g.coordinates[0] as number[][]);
        specs.push({ id: `landmark-${i}`, kind: 'landmark', text: name, at, priority: kind === 'landmark' ? 40 : 25 });
      }
    });
    const seen = new Set<string>(); // one label per street name
    this.labelLayer.setLabels('street', specs.filter((s) => s.kind === 'street' && !seen.has(s.text) && seen.add(s.text)));
    this.labelLayer.setLabels('landmark', specs.filter((s) => s.kind === 'landmark'));
    this.labelLayer.setLabels('tram-stop', specs.filter((s) => s.kind === 'tram-stop'));
  }

  private async addEmergency(): Promise<void> {
    const posts = await loadPosts(this.options.site.id);
    if (posts) {
      (this.map.getSource('emergency-posts') as maplibregl.GeoJSONSource).setData(posts);
      this.postSpecs = postLabels(posts);
    }
    this.setEmergency(this.emergencyOn);
  }

  private postSpecs: LabelSpec[] = [];

  setEmergency(on: boolean): void {
    this.emergencyOn = on;
    setEmergencyVisible(this.map, on);
    this.labelLayer.setLabels('post', on ? this.postSpecs : []);
    this.options.container.dataset.emergency = String(on);
  }

  /** Access routes to the zones the advice is about, refreshed when those zones or their levels
   * change (at most every 20 s otherwise). */
  async updateRoutes(advice: Advice[], selected: string | null): Promise<void> {
    if (!this.options.routes || !this.map.getSource('emergency-routes')) return;
    const targets = routeTargets(advice, this.levels, selected);
    const key = JSON.stringify([targets, targets.map((t) => this.levels[t])]);
    if (key === this.routeKey && Date.now() - this.routeFetched < 20_000) return;
    this.routeKey = key;
    this.routeFetched = Date.now();
    const routes = targets.length ? await loadRoutes(this.options.site.id, targets) : [];
    const segments = routeSegments(routes, this.options.zones, this.levels);
    (this.map.getSource('emergency-routes') as maplibregl.GeoJSONSource).setData(segments);
    this.options.container.dataset.routes = String(routes.length);
  }

  setTheme(theme: ThemeName): void {
    this.theme = theme;
    rememberTheme(theme);
    applyTheme(this.map, THEMES[theme]);
    this.options.container.dataset.theme = theme;
  }

  /** Resolves once the map has loaded its style the first time (and stays resolved). */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** Buildings (grey extrusions) and the path network (thin lines) from the site folder: data, or
   * the URL MapLibre's worker fetches and parses itself (no copy through the page's thread). */
  async addContext(
    buildings: GeoJSON.FeatureCollection | string | null, network: GeoJSON.FeatureCollection | string | null,
  ): Promise<void> {
    await this.loaded;
    const map = this.map;
    if (network) {
      map.addSource('network', geojsonSource(network));
      map.addLayer({
        id: 'network', type: 'line', source: 'network',
        paint: { 'line-color': this.theme === 'dark' ? '#3b4654' : '#9aa0a6', 'line-width': 1.5 },
      }, 'zones-ground');
    }
    if (buildings) {
      map.addSource('buildings', geojsonSource(buildings));
      map.addLayer({
        id: 'buildings', type: 'fill-extrusion', source: 'buildings',
        // Translucent, so zones behind a building stay readable through it.
        paint: {
          'fill-extrusion-color': THEMES[this.theme].building,
          'fill-extrusion-height': ['coalesce', ['to-number', ['get', 'height']],
            ['*', 3, ['to-number', ['get', 'levels'], 0]], 12],
          'fill-extrusion-opacity': THEMES[this.theme].buildingOpacity,
        },
      }, 'zones-extrusion');
    }
  }

  private live: ZoneRenderFeature[] = [];
  private overlay: ZoneRenderFeature[] | null = null;

  /** The live picture's zones; kept aside while a scenario overlay is shown. */
  setZones(features: ZoneRenderFeature[]): void {
    this.live = features;
    if (!this.overlay) this.drawZones(features);
  }

  /** Scenario mode (panels/scenario.ts): draw these zones instead of the live ones; null returns to live. */
  showOverlay(features: ZoneRenderFeature[] | null): void {
    this.overlay = features;
    this.options.container.dataset.overlay = features ? 'scenario' : 'live';
    this.drawZones(features ?? this.live);
  }

  /** Redraw the zones; labels mark stale zones (text is HTML: the offline style has no glyphs). */
  private drawZones(features: ZoneRenderFeature[]): void {
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
    // Access routes follow the live levels, never a scenario's.
    if (!this.overlay) this.levels = Object.fromEntries(features.map((f) => [f.id, f.properties.level as Level]));
    // One label per zone, stale marked in it, so the collision-aware layer places both as one.
    this.labelLayer.setLabels('zone', features.flatMap((f) => {
      const at = this.anchors[f.id];
      const level = f.properties.level as Level;
      const stale = Boolean(f.properties.stale);
      return at ? [{
        id: `zone-${f.id}`, kind: 'zone' as const, at, priority: 100 + levelRank(level) * 10,
        text: `${levelMark(level)} ${f.properties.name}${stale ? ' · ⚠ stale' : ''}`,
        classes: [`level-${level}`, ...(stale ? ['stale-label'] : [])],
        title: `${f.properties.name}: ${level}${stale ? ', no recent data' : ''}`,
      }] : [];
    }));
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
