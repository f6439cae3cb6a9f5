/** What the operator does: select a zone, take an alert through its lifecycle (acknowledge,
 * record a measure, resolve), switch the side tabs, move or play the time slider. The actor of
 * every step is the logged-in account: the API takes it from the session, the page sends none. */

import { postJson, siteUrl } from './api';
import { domain, message, store, view } from './context';
import { byId } from './dom';
import { loadAllHistory, loadIncidents, loadZoneHistory, pollAlerts } from './data';
import { SLIDER_STEP_MS } from './keyboard';
import { select, setCursor, setError, type SideTab } from './store';
import { advance, snapTime } from './timeline';

let playTimer: number | undefined;

/** Select a zone (or none); `focus` moves keyboard focus to its panel once drawn. */
export function selectZone(zoneId: string | null, focus = false): void {
  const before = store.state.selected;
  store.update((s) => select(s, zoneId));
  if (zoneId && store.state.selected === zoneId) {
    store.update((s) => ({ ...s, sheetOpen: true }));
    centreZone(zoneId);
    void loadZoneHistory(zoneId);
    if (focus) view.focusAfterRender = '#zone-heading';
  } else if (zoneId === null && before !== null && focus) {
    view.focusAfterRender = '#map';
  }
}

/** Ease the map to the zone; on small screens keep it above the bottom sheet that opens with it. */
function centreZone(zoneId: string): void {
  const crowd = view.map;
  const anchor = crowd?.anchors[zoneId];
  if (!crowd || !anchor) return;
  const small = window.matchMedia('(max-width: 1100px)').matches;
  const covered = small ? Math.round(byId('map').getBoundingClientRect().height * 0.55) : 0;
  crowd.map.easeTo({ center: anchor, padding: { top: 0, left: 0, right: 0, bottom: covered }, duration: 500 });
}

/** Open a side tab (and the bottom sheet on small screens); `focus` moves focus into it. */
export function openTab(tab: SideTab, focus = false): void {
  // The bottom sheet shows one thing at a time: a tab replaces the zone panel on small screens.
  if (store.state.selected && window.matchMedia('(max-width: 1100px)').matches) store.update((s) => select(s, null));
  const same = store.state.tab === tab && store.state.sheetOpen;
  store.update((s) => ({ ...s, tab, sheetOpen: focus ? true : !same }));
  if (tab === 'log') void loadIncidents();
  if (focus) view.focusAfterRender = `#${tab}-panel h2`;
}

export function toggleSheet(): void {
  store.update((s) => ({ ...s, sheetOpen: !s.sheetOpen }));
}

async function step(alertId: string, path: string, body: Record<string, string>, failed: string): Promise<boolean> {
  const site = store.state.site;
  if (!site) return false;
  try {
    await postJson(siteUrl(site.id, `/alerts/${encodeURIComponent(alertId)}/${path}`), body);
    store.update((s) => setError(s, 'alerts', null));
    return true;
  } catch (error) {
    store.update((s) => setError(s, 'alerts', `${failed}: ${message(error)}`));
    return false;
  }
}

/** Acknowledge one alert or a zone's alerts at once. */
export async function acknowledge(alertIds: string[]): Promise<void> {
  for (const id of alertIds) await step(id, 'ack', {}, 'Acknowledging failed');
  await refreshAfterStep();
}

export async function recordMeasure(alertId: string, measure: string, note: string): Promise<void> {
  await step(alertId, 'measure', note ? { measure, note } : { measure }, 'Recording the measure failed');
  await refreshAfterStep();
}

export async function resolveAlert(alertId: string, reason: string): Promise<void> {
  await step(alertId, 'resolve', { reason }, 'Resolving failed');
  await refreshAfterStep();
}

async function refreshAfterStep(): Promise<void> {
  await pollAlerts();
  if (store.state.tab === 'log') await loadIncidents();
}

/** One slider step of 15 minutes back or forward (from now when live). */
export function stepSlider(direction: -1 | 1): void {
  const d = domain(store.state);
  if (!d) return;
  const from = store.state.cursor ?? d.now;
  moveCursor(Math.min(Math.max(from + direction * SLIDER_STEP_MS, d.start), d.end));
}

export function moveCursor(t: number | null): void {
  const d = domain(store.state);
  const snapped = t === null || d === null ? null : snapTime(t, d);
  store.update((s) => setCursor(s, snapped, d?.now ?? null));
  if (snapped !== null && d !== null && snapped < d.now) void loadAllHistory();
}

export function goLive(): void {
  window.clearInterval(playTimer);
  store.update((s) => ({ ...s, cursor: null, playing: false }));
}

/** Play from the slider's moment (from the start when live or at the end), one step per 0.8 s. */
export function togglePlay(): void {
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
