/** Boot the dashboard: who am I, which site, its zones and live picture; then the map, the stream,
 * the controls and the periodic reads (sources, alerts, forecast, the server's clock). */

import './style.css';

import { goLive, moveCursor, openTab, selectZone, stepSlider, togglePlay, toggleSheet } from './actions';
import { getJson, postJson, siteUrl } from './api';
import { askNotifications, notificationsAllowed, setSound, soundOn } from './attention';
import { message, store, view } from './context';
import {
  every, loadIncidents, loadRoleView, loadZoneHistory, pollAlerts, pollForecast, pollSources, pollTime,
} from './data';
import { byId, h } from './dom';
import { findZone, SLIDER_STEP_MS, wireShortcuts } from './keyboard';
import type { CrowdMap } from './map';
import type { BasemapInfo } from './map/basemap';
import { EMERGENCY_ROLES } from './map/emergency';
import { showZoneChooser } from './panels/chooser';
import { mountPlanning } from './panels/scenario-mount';
import { onAmbiguousTap } from './picking';
import { render, scheduleRender } from './render';
import { applyStates, applyStream, type DashboardState } from './store';
import { openStream } from './stream';
import { siteMap } from './sitemap';
import { mountTraining } from './training';
import type { Me, SiteSummary, ZoneCollection, ZoneState } from './types';

declare global {
  interface Window {
    /** For end-to-end tests and operators' scripts: the map and a way to find a zone on screen. */
    __csm?: {
      map: CrowdMap['map'];
      projectZone(zoneId: string): { x: number; y: number } | null;
      anchor(zoneId: string): [number, number] | null;
      state(): DashboardState;
      idle: number;
      /** Frames the map has drawn (for the benchmark: each frame costs a software renderer dearly). */
      frames: number;
      /** Milliseconds from navigation to the first idle with the zones drawn (for the benchmark). */
      firstIdleMs: number | null;
      /** Map labels on screen now (zones, streets, landmarks, posts). */
      labels(): { id: string; kind: string; text: string }[];
    };
  }
}

function wireControls(): void {
  const large = byId<HTMLButtonElement>('toggle-large');
  const applyLarge = (on: boolean): void => {
    document.body.classList.toggle('large', on);
    large.setAttribute('aria-pressed', String(on));
    localStorage.setItem('csm-large-text', on ? '1' : '0');
    window.setTimeout(() => view.map?.map.resize(), 50);
  };
  const wanted = new URLSearchParams(window.location.search).get('large');
  applyLarge(wanted === null ? localStorage.getItem('csm-large-text') === '1' : wanted === '1');
  large.addEventListener('click', () => applyLarge(!document.body.classList.contains('large')));
  const pitch = byId<HTMLButtonElement>('toggle-pitch');
  pitch.addEventListener('click', () => {
    const pitched = view.map?.togglePitch() ?? true;
    pitch.textContent = pitched ? 'Top view' : '3D view';
  });
  byId('logout').addEventListener('click', () => {
    void postJson('/api/v1/auth/logout', {}).finally(() => window.location.assign('/login'));
  });
  const slider = byId<HTMLInputElement>('time-slider');
  slider.addEventListener('input', () => moveCursor(Number(slider.value)));
  byId('play').addEventListener('click', togglePlay);
  byId('live').addEventListener('click', goLive);
  wireControlRoom(slider);
}

/** web-control: attention toggles, zone search, keyboard shortcuts, the bottom sheet's handle. */
function wireControlRoom(slider: HTMLInputElement): void {
  const sound = byId<HTMLButtonElement>('toggle-sound');
  const showSound = (): void => {
    sound.setAttribute('aria-pressed', String(soundOn()));
    sound.textContent = soundOn() ? 'Sound on' : 'Sound off';
  };
  showSound();
  sound.addEventListener('click', () => { setSound(!soundOn()); showSound(); });
  const notify = byId<HTMLButtonElement>('toggle-notify');
  const showNotify = (): void => {
    notify.hidden = !('Notification' in window) || notificationsAllowed();
  };
  showNotify();
  notify.addEventListener('click', () => void askNotifications().then(showNotify));
  const search = byId<HTMLInputElement>('zone-search');
  const go = (): void => {
    if (!search.value.trim()) return; // Enter and the change event both arrive: act once
    const id = findZone(search.value, store.state.zones.map((z) => ({ id: z.id, name: z.properties.name })));
    if (!id) {
      search.setCustomValidity('No zone by that name');
      search.reportValidity();
      return;
    }
    search.setCustomValidity('');
    search.value = '';
    selectZone(id, true);
  };
  search.addEventListener('change', go);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); go(); }
  });
  // Arrow keys on the slider move 15 minutes, not one.
  slider.step = String(SLIDER_STEP_MS);
  slider.addEventListener('keydown', (e) => {
    const direction = e.key === 'ArrowLeft' || e.key === 'ArrowDown' ? -1 : e.key === 'ArrowRight' || e.key === 'ArrowUp' ? 1 : 0;
    if (!direction) return;
    e.preventDefault();
    stepSlider(direction);
  });
  byId('sheet-handle').addEventListener('click', toggleSheet);
  onAmbiguousTap((ids, at) => showZoneChooser(ids, at,
    (id) => store.state.zones.find((z) => z.id === id)?.properties.name ?? id, (id) => selectZone(id, true)));
  for (const link of document.querySelectorAll<HTMLAnchorElement>('.skip-links a[data-tab]')) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      openTab(link.dataset.tab === 'log' ? 'log' : 'alerts', true);
    });
  }
  wireShortcuts({
    focusSearch: () => search.focus(),
    openAlerts: () => openTab('alerts', true),
    stepSlider,
    goLive,
    closeZone: () => selectZone(null, true),
  });
}

/** The map, and the hooks tests and the benchmark read (`window.__csm`, `data-map-idle`). */
function createMap(site: SiteSummary, zones: ZoneCollection, basemap: BasemapInfo, me: Me): CrowdMap {
  const crowdMap = siteMap({
    container: byId('map'), site, zones: zones.features, onSelect: selectZone, basemap,
    emergency: EMERGENCY_ROLES.has(me.role ?? ''), routes: me.permissions.includes('view_alerts'),
  });
  const hooks = {
    map: crowdMap.map, idle: 0, frames: 0, firstIdleMs: null as number | null,
    projectZone: (id: string) => crowdMap.projectZone(id),
    anchor: (id: string) => crowdMap.anchors[id] ?? null,
    state: () => store.state,
    labels: () => crowdMap.labelLayer.visible(),
  };
  window.__csm = hooks;
  crowdMap.map.on('render', () => { hooks.frames += 1; });
  crowdMap.map.on('idle', () => {
    if (!crowdMap.hasZones()) return;
    hooks.idle += 1;
    hooks.firstIdleMs ??= Math.round(performance.now());
    document.documentElement.dataset.mapIdle = String(hooks.idle);
  });
  return crowdMap;
}

async function boot(): Promise<void> {
  if (await mountTraining()) return; // `/?training`: the training page instead of the live one
  wireControls();
  store.subscribe(() => scheduleRender());
  const [me, sites] = await Promise.all([getJson<Me>('/api/v1/auth/me'), getJson<SiteSummary[]>('/api/v1/sites')]);
  const wanted = new URLSearchParams(window.location.search).get('site');
  const chosen = sites.find((s) => s.id === wanted) ?? sites[0];
  if (!chosen) {
    byId('banner').textContent = 'Your account has no site to show.';
    byId('banner').hidden = false;
    return;
  }
  const site = await getJson<SiteSummary>(siteUrl(chosen.id));
  const [zones, states, basemap] = await Promise.all([
    getJson<ZoneCollection>(siteUrl(site.id, '/zones')),
    getJson<{ as_of: string | null; zones: ZoneState[] }>(siteUrl(site.id, '/zones/state')),
    getJson<BasemapInfo>(siteUrl(site.id, '/basemap')),
    loadRoleView(site.id), // in the same round trip: the map waits for all of them
  ]);
  document.title = `${site.name} · Crowd Safety Manager`;
  byId('site-name').textContent = site.name;
  byId('user').textContent = `${me.username}${me.role ? ` (${me.role.replace(/_/g, ' ')})` : ''}`;
  byId('zone-names').replaceChildren(...zones.features.map((z) => h('option', { value: z.properties.name })));
  store.update((s) => applyStates({ ...s, site, me, zones: zones.features }, states.as_of, states.zones));
  view.map = createMap(site, zones, basemap, me);
  mountPlanning({ site, me, map: view.map, zones: zones.features });
  // Map: access routes follow the advice, the levels and the selection.
  store.subscribe(() => void view.map?.updateRoutes(store.state.advice?.advice ?? [], store.state.selected));
  render(store.state);

  // A burst of notices (several alerts in one evaluation) is one reread.
  const rereadAlerts = coalesced(pollAlerts, 300);
  const rereadSources = coalesced(pollSources, 300);
  openStream(site.id, {
    onMessage: (msg) => store.update((s) => applyStream(s, msg)),
    onNotice: (notice) => (notice.topic === 'sources' ? rereadSources : rereadAlerts)(),
    onState: (connection) => store.update((s) => ({ ...s, connection })),
  });
  every(30_000, pollTime);
  every(30_000, pollSources);
  every(15_000, pollAlerts);
  every(30_000, async () => { if (store.state.tab === 'log') await loadIncidents(); });
  every(300_000, pollForecast);
  window.setInterval(() => {
    if (store.state.selected) void loadZoneHistory(store.state.selected);
  }, 60_000);
  window.setInterval(scheduleRender, 5_000); // the clock and ages move on between messages
}

/** `task` at most once per `ms`, however often it is asked for in between. */
function coalesced(task: () => Promise<void>, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => { timer = undefined; void task(); }, ms);
  };
}

boot().catch((error: unknown) => {
  const banner = byId('banner');
  banner.hidden = false;
  banner.textContent = `The dashboard could not start: ${message(error)}`;
  console.error(error);
});
