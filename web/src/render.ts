/** Puts the state on screen: the map's zones, the header, the slider and the panels. Renders at
 * most once per animation frame, however many updates arrive. */

import { acknowledge, selectZone } from './actions';
import { CHART_AHEAD_HOURS, domain, nowMs, store, view } from './context';
import { byId, fill, h } from './dom';
import { formatDateTime } from './format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVELS } from './levels';
import { framesAt, zonesForMap } from './mapdata';
import { renderAlertsPanel } from './panels/alerts';
import { renderSlider } from './panels/timeslider';
import { renderSourcesPanel } from './panels/sources';
import { renderZonePanel } from './panels/zone';
import { can, levelCounts, type DashboardState } from './store';
import { liveFrame, mergeTimeline, NO_DATA, type ZoneFrame } from './timeline';

let frameRequested = false;

export function scheduleRender(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    render(store.state);
  });
}

export function render(state: DashboardState): void {
  const site = state.site;
  if (!site) return;
  const now = nowMs();
  const frames = framesAt(state, now);
  const map = view.map;
  if (map) map.setZones(zonesForMap(state.zones, frames, state.selected, map.heightScale).features);
  renderSlider({ domain: domain(state), cursor: state.cursor, playing: state.playing, timeZone: site.timezone,
    forecastIssuedAt: state.forecast?.issued_at ?? null });
  renderHeader(state, now);
  renderSelected(state, now, frames[state.selected ?? ''] ?? NO_DATA);
  renderSourcesPanel(byId('sources-panel'), state.sources, state.live, state.errors.sources);
  const zoneName = (id: string): string => state.zones.find((z) => z.id === id)?.properties.name ?? id;
  renderAlertsPanel(byId('alerts-panel'), {
    alerts: state.alerts, advice: state.advice, allowed: can(state, 'view_alerts'),
    canHandle: can(state, 'handle_alerts'), zoneName, timeZone: site.timezone, error: state.errors.alerts,
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
  conn.textContent = state.connection;
  const counts = levelCounts(state.live);
  fill(byId('level-counts'),
    ...LEVELS.map((level) => h('span', { class: 'count-chip', 'data-level': level,
      style: `border-color:${LEVEL_COLOURS[level]}` }, h('b', {}, String(counts[level] ?? 0)), ` ${LEVEL_LABELS[level]}`)),
    counts.stale ? h('span', { class: 'count-chip stale' }, h('b', {}, String(counts.stale)), ' stale') : null);
}

function renderSelected(state: DashboardState, now: number | null, frame: ZoneFrame): void {
  const element = byId('zone-panel');
  const zone = state.selected ? state.zones.find((z) => z.id === state.selected) : undefined;
  if (!zone || !state.site) {
    renderZonePanel(element, null);
    return;
  }
  const live = state.live[zone.id];
  const points = now === null ? [] : mergeTimeline(
    zone.properties, now, state.history[zone.id], live, state.forecast?.zones[zone.id],
  ).filter((p) => p.t <= now + CHART_AHEAD_HOURS * 3_600_000);
  renderZonePanel(element, {
    zone, frame: state.cursor === null && live ? liveFrame(live) : frame, live, points, nowMs: now,
    cursor: state.cursor, timeZone: state.site.timezone, onClose: () => selectZone(null),
  });
}
