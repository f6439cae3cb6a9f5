/** Reads from the API into the store: history and forecast for the slider and charts, sources,
 * alerts and advice, the server's clock and the site's optional map layers. */

import { getJson, siteUrl } from './api';
import { newAlerts, signal } from './attention';
import { clock, message, store } from './context';
import { logFilters, logQuery } from './panels/log';
import { can, mergeHistory, setError } from './store';
import type { AdviceAnswer, AlertsAnswer, ForecastAnswer, HistoryAnswer, SourceStatus } from './types';
import type { ControlAlert, IncidentLog, RoleView } from './types-control';

let historyLoadedAt = 0;

async function loadHistory(zoneId: string | null): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  const zone = zoneId ? `&zone=${encodeURIComponent(zoneId)}` : '';
  const answer = await getJson<HistoryAnswer>(siteUrl(site.id, `/zones/history?hours=${store.state.historyHours}${zone}`));
  store.update((s) => ({ ...s, history: mergeHistory(s.history, answer.zones) }));
}

/** One zone's recent history, for its chart. */
export async function loadZoneHistory(zoneId: string): Promise<void> {
  await loadHistory(zoneId).catch((error: unknown) => console.warn('zone history', error));
}

/** All zones' history for the slider: fetched when first needed, refreshed at most every 2 minutes. */
export async function loadAllHistory(): Promise<void> {
  if (Date.now() - historyLoadedAt < 120_000) return;
  historyLoadedAt = Date.now();
  await loadHistory(null).catch((error: unknown) => {
    historyLoadedAt = 0;
    console.warn('history', error);
  });
}

export async function pollForecast(): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    const forecast = await getJson<ForecastAnswer>(siteUrl(site.id, '/zones/forecast'));
    store.update((s) => ({ ...s, forecast }));
  } catch (error) {
    console.warn('forecast', error);
  }
}

export async function pollSources(): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    const sources = await getJson<SourceStatus[]>(siteUrl(site.id, '/sources'));
    store.update((s) => setError({ ...s, sources }, 'sources', null));
  } catch (error) {
    store.update((s) => setError(s, 'sources', `Sources unavailable: ${message(error)}`));
  }
}

export async function pollAlerts(): Promise<void> {
  const state = store.state;
  if (!state.site || !can(state, 'view_alerts')) return;
  try {
    const [alerts, advice] = await Promise.all([
      getJson<AlertsAnswer>(siteUrl(state.site.id, '/alerts?status=open')),
      getJson<AdviceAnswer>(siteUrl(state.site.id, '/advice')),
    ]);
    store.update((s) => setError({ ...s, alerts, advice }, 'alerts', null));
    const zoneName = (id: string): string => store.state.zones.find((z) => z.id === id)?.properties.name ?? id;
    signal(newAlerts(alerts.alerts as ControlAlert[]), zoneName);
  } catch (error) {
    store.update((s) => setError(s, 'alerts', `Alerts unavailable: ${message(error)}`));
  }
}

/** The day's incident log with the panel's filters. */
export async function loadIncidents(): Promise<void> {
  const state = store.state;
  if (!state.site || !can(state, 'view_alerts')) return;
  try {
    const incidents = await getJson<IncidentLog>(siteUrl(state.site.id, `/incidents${logQuery(logFilters)}`));
    store.update((s) => setError({ ...s, incidents }, 'log', null));
  } catch (error) {
    store.update((s) => setError(s, 'log', `The incident log could not be read: ${message(error)}`));
  }
}

/** The caller's role view (owner, owner labels, context outlines): read once at start. */
export async function loadRoleView(siteId: string): Promise<void> {
  try {
    const view = await getJson<RoleView>(siteUrl(siteId, '/view'));
    store.update((s) => ({ ...s, view }));
  } catch (error) {
    console.warn('role view', error);
  }
}

export async function pollTime(): Promise<void> {
  try {
    const time = await getJson<{ now: string }>('/api/v1/time');
    clock.observe(Date.parse(time.now), Date.now());
  } catch (error) {
    console.warn('time', error);
  }
}

/** An optional layer of the site folder (buildings, network), or null. */
export async function siteLayer(siteId: string, name: string): Promise<GeoJSON.FeatureCollection | null> {
  try {
    return await getJson<GeoJSON.FeatureCollection>(siteUrl(siteId, `/layers/${name}`));
  } catch {
    return null;
  }
}

/** Run a read now and then every `ms`. */
export function every(ms: number, task: () => Promise<void>): void {
  void task();
  window.setInterval(() => void task(), ms);
}
