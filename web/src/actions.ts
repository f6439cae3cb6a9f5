/** What the operator does: select a zone, acknowledge an alert, move or play the time slider. */

import { postJson, siteUrl } from './api';
import { domain, message, store, view } from './context';
import { loadAllHistory, loadZoneHistory, pollAlerts } from './data';
import { select, setCursor, setError } from './store';
import { advance, snapTime } from './timeline';

let playTimer: number | undefined;

export function selectZone(zoneId: string | null): void {
  store.update((s) => select(s, zoneId));
  if (zoneId) {
    view.map?.flyToZone(zoneId);
    void loadZoneHistory(zoneId);
  }
}

export async function acknowledge(alertId: string): Promise<void> {
  const site = store.state.site;
  if (!site) return;
  try {
    await postJson(siteUrl(site.id, `/alerts/${encodeURIComponent(alertId)}/ack`), {});
    store.update((s) => setError(s, 'alerts', null));
  } catch (error) {
    store.update((s) => setError(s, 'alerts', `Acknowledging failed: ${message(error)}`));
  }
  await pollAlerts();
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
