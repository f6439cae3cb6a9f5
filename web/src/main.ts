/** Boot the dashboard: who am I, which site, its zones and live picture; then the map, the stream,
 * the panels and the periodic reads (sources, alerts, forecast, the server's clock). */

import './style.css';

import { ApiError, getJson, postJson, siteUrl } from './api';
import { ServerClock } from './clock';
import { byId, fill, h } from './dom';
import { formatDateTime } from './format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVELS } from './levels';
import { CrowdMap } from './map';
import { framesAt, zonesForMap } from './mapdata';
import { renderAlertsPanel } from './panels/alerts';
import { renderLegend } from './panels/legend';
import { renderSlider } from './panels/timeslider';
import { renderSourcesPanel } from './panels/sources';
import { renderZonePanel } from './panels/zone';
import {
  applyStates, applyStream, can, levelCounts, mergeHistory, select, setCursor, Store, type DashboardState,
} from './store';
import { openStream } from './stream';
import {
  advance, forecastEnds, liveFrame, mergeTimeline, NO_DATA, snapTime, timeDomain, type TimeDomain,
} from './timeline';
import type {
  AdviceAnswer, AlertsAnswer, ForecastAnswer, HistoryAnswer, Me, SiteSummary, SourceStatus, ZoneCollection, ZoneState,
} from './types';

const store = new Store();
const clock = new ServerClock();
const errors: Record<string, string | null> = {};
let crowdMap: CrowdMap | null = null;
let zoneHistory: { zone: string; answer: HistoryAnswer } | null = null;
let playTimer: number | undefined;
let historyLoadedAt = 0;
/** How far the slider and the chart reach into the (48 h) forecast. */
const FORECAST_HOURS = 12;
const CHART_AHEAD_HOURS = 6;

declare global {
  interface Window {
    /** For end-to-end tests and operators' scripts: the map and a way to find a zone on screen. */
    __csm?: {
      map: CrowdMap['map'];
      projectZone(zoneId: string): { x: number; y: number } | null;
      anchor(zoneId: string): [number, number] | null;
      state(): DashboardState;
      idle: number;
      /** Milliseconds from navigation to the first idle with the zones drawn (for the benchmark). */
      firstIdleMs: number | null;
    };
  }
}

function nowMs(): number | null {
  const estimated = clock.now(Date.now());
  const asOf = store.state.asOf;
  if (estimated === null) return asOf;
  return asOf === null ? estimated : Math.max(asOf, estimated);
}

function domain(state: DashboardState): TimeDomain | null {
  const now = nowMs();
  if (now === null) return null;
  return timeDomain(now, state.historyHours, forecastEnds(state.forecast?.zones), FORECAST_HOURS);
}

function message(error: unknown): string {
  return error instanceof ApiError ? `${error.status}: ${error.message}` : String(error);
}

// -- rendering --------------------------------------------------------------------------------
let frameRequested = false;

function scheduleRender(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    render(store.state);
  });
}

function render(state: DashboardState): void {
  const site = state.site;
  if (!site) return;
  const now = nowMs();
  const frames = framesAt(state, now);
  if (crowdMap) crowdMap.setZones(zonesForMap(state.zones, frames, state.selected, crowdMap.heightScale).features);
  renderSlider({ domain: domain(state), cursor: state.cursor, playing: state.playing, timeZone: site.timezone,
    forecastIssuedAt: state.forecast?.issued_at ?? null });
  renderHeader(state, now);
  renderSelected(state, now, frames[state.selected ?? ''] ?? NO_DATA);
  renderSourcesPanel(byId('sources-panel'), state.sources, state.live, errors.sources ?? null);
  const zoneName = (id: string): string => state.zones.find((z) => z.id === id)?.properties.name ?? id;
  renderAlertsPanel(byId('alerts-panel'), {
    alerts: state.alerts, advice: state.advice, allowed: can(state, 'view_alerts'),
    canHandle: can(state, 'handle_alerts'), zoneName, timeZone: site.timezone, error: errors.alerts ?? null,
    onAck: (id) => void acknowledge(id), onZone: (id) => selectZone(id),
  });
  const banner = byId('banner');
  banner.hidden = state.cursor === null;
  if (state.cursor !== null) {
    banner.textContent = state.cursor > (now ?? 0)
      ? `Forecast for ${formatDateTime(state.cursor, site.timezone)}: p50 solid, p90 as glass hull`
      : `Showing ${formatDateTime(state.cursor, site.timezone)} (recorded). Press Live to return.`;
  }
}

function renderHeader(state: DashboardState, now: number | null): void {
  const site = state.site;
  if (!site) return;
  byId('clock').textContent = now === null ? '' : formatDateTime(now, site.timezone);
  const conn = byId('connection');
  conn.dataset.state = state.connection;
  conn.textContent = state.connection === 'live' ? 'live' : state.connection;
  const counts = levelCounts(state.live);
  fill(byId('level-counts'),
    ...LEVELS.map((level) => h('span', { class: 'count-chip', 'data-level': level,
      style: `border-color:${LEVEL_COLOURS[level]}` }, h('b', {}, String(counts[level] ?? 0)), ` ${LEVEL_LABELS[level]}`)),
    counts.stale ? h('span', { class: 'count-chip stale' }, h('b', {}, String(counts.stale)), ' stale') : null);
}

function renderSelected(state: DashboardState, now: number | null, frame: typeof NO_DATA): void {
  const element = byId('zone-panel');
  const zone = state.selected ? state.zones.find((z) => z.id === state.selected) : undefined;
  if (!zone || !state.site) {
    renderZonePanel(element, null);
    return;
  }
  const live = state.live[zone.id];
  const history = zoneHistory?.zone === zone.id ? zoneHistory.answer.zones[zone.id] : state.history[zone.id];
  const all = now === null ? [] : mergeTimeline(zone.properties, now, history, live, state.forecast?.zones[zone.id]);
  const points = now === null ? [] : all.filter((p) => p.t <= now + CHART_AHEAD_HOURS * 3_600_000);
  renderZonePanel(element, {
    zone, frame: state.cursor === null && live ? liveFrame(live) : frame, live, points, nowMs: now,
    cursor: state.cursor, timeZone: state.site.timezone, onClose: () => selectZone(null),
  });
}

// -- actions ----------------------------------------------------------------------------------
function selectZone(zoneId: string | null): void {
  store.update((s) => select(s, zoneId));
  if (zoneId) {
    crowdMap?.flyToZone(zoneId);
    void loadZoneHistory(zoneId);
  }
}

async function acknowledge(alertId: string): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    await postJson(siteUrl(site.id, `/alerts/${encodeURIComponent(alertId)}/ack`), {});
    errors.alerts = null;
  } catch (error) {
    errors.alerts = `Acknowledging failed: ${message(error)}`;
  }
  await pollAlerts();
}

function moveCursor(t: number | null): void {
  const d = domain(store.state);
  const snapped = t === null || d === null ? null : snapTime(t, d);
  store.update((s) => setCursor(s, snapped, d?.now ?? null));
  if (snapped !== null && d !== null && snapped < d.now) void loadAllHistory();
}

function togglePlay(): void {
  const state = store.state;
  const d = domain(state);
  if (!d) return;
  if (state.playing) {
    window.clearInterval(playTimer);
    store.update((s) => ({ ...s, playing: false }));
    return;
  }
  const from = state.cursor === null || state.cursor >= d.end ? d.start : state.cursor;
  void loadAllHistory();
  store.update((s) => ({ ...s, playing: true, cursor: from }));
  playTimer = window.setInterval(() => {
    const current = domain(store.state);
    const cursor = store.state.cursor;
    if (!current || cursor === null || !store.state.playing) {
      window.clearInterval(playTimer);
      return;
    }
    const step = cursor < current.now ? 10 * 60_000 : 15 * 60_000;
    const next = advance(cursor, current, step);
    store.update((s) => ({ ...s, cursor: next.t, playing: !next.done }));
    if (next.done) window.clearInterval(playTimer);
  }, 800);
}

// -- data -------------------------------------------------------------------------------------
async function loadZoneHistory(zoneId: string): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    const answer = await getJson<HistoryAnswer>(siteUrl(site.id, `/zones/history?hours=${store.state.historyHours}&zone=${encodeURIComponent(zoneId)}`));
    zoneHistory = { zone: zoneId, answer };
    scheduleRender();
  } catch (error) {
    console.warn('zone history', error);
  }
}

/** All zones' history for the slider: fetched when first needed, refreshed at most every 2 minutes. */
async function loadAllHistory(): Promise<void> {
  const site = store.state.site;
  if (!site || Date.now() - historyLoadedAt < 120_000) return;
  historyLoadedAt = Date.now();
  try {
    const answer = await getJson<HistoryAnswer>(siteUrl(site.id, `/zones/history?hours=${store.state.historyHours}`));
    store.update((s) => ({ ...s, history: mergeHistory(s.history, answer.zones) }));
  } catch (error) {
    historyLoadedAt = 0;
    console.warn('history', error);
  }
}

async function pollForecast(): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    const forecast = await getJson<ForecastAnswer>(siteUrl(site.id, '/zones/forecast'));
    store.update((s) => ({ ...s, forecast }));
  } catch (error) {
    console.warn('forecast', error);
  }
}

async function pollSources(): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    const sources = await getJson<SourceStatus[]>(siteUrl(site.id, '/sources'));
    errors.sources = null;
    store.update((s) => ({ ...s, sources }));
  } catch (error) {
    errors.sources = `Sources unavailable: ${message(error)}`;
    scheduleRender();
  }
}

async function pollAlerts(): Promise<void> {
  const state = store.state;
  if (!state.site || !can(state, 'view_alerts')) return;
  try {
    const [alerts, advice] = await Promise.all([
      getJson<AlertsAnswer>(siteUrl(state.site.id, '/alerts?status=open')),
      getJson<AdviceAnswer>(siteUrl(state.site.id, '/advice')),
    ]);
    store.update((s) => ({ ...s, alerts, advice }));
  } catch (error) {
    errors.alerts = `Alerts unavailable: ${message(error)}`;
    scheduleRender();
  }
}

async function pollTime(): Promise<void> {
  try {
    const time = await getJson<{ now: string }>('/api/v1/time');
    clock.observe(Date.parse(time.now), Date.now());
  } catch (error) {
    console.warn('time', error);
  }
}

async function layer(siteId: string, name: string): Promise<GeoJSON.FeatureCollection | null> {
  try {
    return await getJson<GeoJSON.FeatureCollection>(siteUrl(siteId, `/layers/${name}`));
  } catch {
    return null;
  }
}

function every(ms: number, task: () => Promise<void>): void {
  void task();
  window.setInterval(() => void task(), ms);
}

// -- boot -------------------------------------------------------------------------------------
function wireControls(): void {
  const large = byId<HTMLButtonElement>('toggle-large');
  const applyLarge = (on: boolean): void => {
    document.body.classList.toggle('large', on);
    large.setAttribute('aria-pressed', String(on));
    localStorage.setItem('csm-large-text', on ? '1' : '0');
    window.setTimeout(() => crowdMap?.map.resize(), 50);
  };
  const wanted = new URLSearchParams(window.location.search).get('large');
  applyLarge(wanted === null ? localStorage.getItem('csm-large-text') === '1' : wanted === '1');
  large.addEventListener('click', () => applyLarge(!document.body.classList.contains('large')));
  const pitch = byId<HTMLButtonElement>('toggle-pitch');
  pitch.addEventListener('click', () => {
    const pitched = crowdMap?.togglePitch() ?? true;
    pitch.textContent = pitched ? 'Top view' : '3D view';
  });
  byId('logout').addEventListener('click', () => {
    void postJson('/api/v1/auth/logout', {}).finally(() => window.location.assign('/login'));
  });
  const slider = byId<HTMLInputElement>('time-slider');
  slider.addEventListener('input', () => moveCursor(Number(slider.value)));
  byId('play').addEventListener('click', togglePlay);
  byId('live').addEventListener('click', () => {
    window.clearInterval(playTimer);
    store.update((s) => ({ ...s, cursor: null, playing: false }));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') selectZone(null);
  });
}

async function boot(): Promise<void> {
  wireControls();
  store.subscribe(() => scheduleRender());
  const [me, sites] = await Promise.all([getJson<Me>('/api/v1/auth/me'), getJson<SiteSummary[]>('/api/v1/sites')]);
  const wanted = new URLSearchParams(window.location.search).get('site');
  const chosen = sites.find((s) => s.id === wanted) ?? sites[0];
  if (!chosen) {
    fill(byId('banner'), 'Your account has no site to show.');
    byId('banner').hidden = false;
    return;
  }
  const site = await getJson<SiteSummary>(siteUrl(chosen.id));
  const [zones, states] = await Promise.all([
    getJson<ZoneCollection>(siteUrl(site.id, '/zones')),
    getJson<{ as_of: string | null; zones: ZoneState[] }>(siteUrl(site.id, '/zones/state')),
  ]);
  document.title = `${site.name} · Crowd Safety Manager`;
  byId('site-name').textContent = site.name;
  byId('user').textContent = `${me.username}${me.role ? ` (${me.role.replace(/_/g, ' ')})` : ''}`;
  renderLegend(byId('legend'), site.levels);
  store.update((s) => applyStates({ ...s, site, me, zones: zones.features }, states.as_of, states.zones));

  crowdMap = new CrowdMap({ container: byId('map'), site, zones: zones.features, onSelect: selectZone });
  const map = crowdMap.map;
  const hooks = {
    map, idle: 0, firstIdleMs: null as number | null,
    projectZone: (id: string) => crowdMap?.projectZone(id) ?? null,
    anchor: (id: string) => crowdMap?.anchors[id] ?? null,
    state: () => store.state,
  };
  window.__csm = hooks;
  map.on('idle', () => {
    if (!crowdMap?.hasZones()) return;
    hooks.idle += 1;
    hooks.firstIdleMs ??= Math.round(performance.now());
    document.documentElement.dataset.mapIdle = String(hooks.idle);
  });
  render(store.state);
  const layers = site.layers ?? [];
  void Promise.all([
    layers.includes('buildings') ? layer(site.id, 'buildings') : null,
    layers.includes('network') ? layer(site.id, 'network') : null,
  ]).then(([buildings, network]) => crowdMap?.addContext(buildings, network));

  openStream(site.id, {
    onMessage: (msg) => store.update((s) => applyStream(s, msg)),
    onState: (connection) => store.update((s) => ({ ...s, connection })),
  });
  every(30_000, pollTime);
  every(30_000, pollSources);
  every(15_000, pollAlerts);
  every(300_000, pollForecast);
  window.setInterval(() => {
    if (store.state.selected) void loadZoneHistory(store.state.selected);
  }, 60_000);
  window.setInterval(scheduleRender, 5_000); // the clock and ages move on between messages
}

boot().catch((error: unknown) => {
  const banner = byId('banner');
  banner.hidden = false;
  banner.textContent = `The dashboard could not start: ${message(error)}`;
  console.error(error);
});

