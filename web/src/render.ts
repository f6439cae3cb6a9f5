/** Puts the state on screen: the map's zones, the header (counts at the slider's moment, data
 * health), the slider, the legend, the zone panel and the side tabs. Renders at most once per
 * animation frame, however many updates arrive; relative times are recomputed on every render. */

import { acknowledge, openTab, recordMeasure, resolveAlert, selectZone } from './actions';
import { titleWithBadge } from './attention';
import { CHART_AHEAD_HOURS, domain, nowMs, store, view } from './context';
import { contextFeatures } from './context-zones';
import { byId, fill, h } from './dom';
import { formatDateTime } from './format';
import { dataHealth } from './health';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVELS, legendFor } from './levels';
import { framesAt, zonesForMap } from './mapdata';
import { renderAdvicePanel } from './panels/advice';
import { renderAlertsPanel } from './panels/alerts';
import { renderLegend } from './panels/legend';
import { renderLogPanel } from './panels/log';
import { renderSlider } from './panels/timeslider';
import { renderSourcesPanel } from './panels/sources';
import { renderTabs } from './panels/tabs';
import { renderZonePanel } from './panels/zone';
import { can, levelCounts, type DashboardState } from './store';
import { liveFrame, mergeTimeline, NO_DATA, type ZoneFrame } from './timeline';
import type { ControlAdvice, ControlAlert } from './types-control';

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
  if (map) {
    map.setZones([...zonesForMap(state.zones, frames, state.selected, map.heightScale).features,
      ...contextFeatures(state.view)]);
  }
  renderSlider({ domain: domain(state), cursor: state.cursor, playing: state.playing, timeZone: site.timezone,
    forecastIssuedAt: state.forecast?.issued_at ?? null });
  renderHeader(state, now, frames);
  const selected = state.selected ? state.zones.find((z) => z.id === state.selected) : undefined;
  renderLegend(byId('legend'), selected ? legendFor(selected.properties.thresholds).map((row, i) => ({
    ...row, meaning: site.levels[i]?.meaning ?? '' })) : site.levels, selected?.properties.name ?? null);
  renderSelected(state, now, frames[state.selected ?? ''] ?? NO_DATA);
  renderSide(state, now);
  const banner = byId('banner');
  banner.hidden = state.cursor === null;
  if (state.cursor !== null) {
    banner.textContent = state.cursor > (now ?? 0)
      ? `Forecast for ${formatDateTime(state.cursor, site.timezone)}: p50 solid, p90 as glass hull`
      : `Showing ${formatDateTime(state.cursor, site.timezone)} (recorded). Press Live to return.`;
  }
  if (view.focusAfterRender) {
    const target = document.querySelector<HTMLElement>(view.focusAfterRender);
    view.focusAfterRender = null;
    target?.focus();
  }
}

function renderSide(state: DashboardState, now: number | null): void {
  const site = state.site;
  if (!site) return;
  const zoneName = (id: string): string => state.zones.find((z) => z.id === id)?.properties.name ?? id;
  const alerts = (state.alerts?.alerts ?? []) as ControlAlert[];
  const advice = (state.advice?.advice ?? []) as ControlAdvice[];
  const owner = state.view?.owner ?? null;
  const labels = state.view?.owner_labels;
  const open = alerts.filter((a) => a.status !== 'resolved');
  const unacknowledged = open.filter((a) => a.status === 'raised').length;
  document.title = titleWithBadge(`${site.name} · Crowd Safety Manager`, unacknowledged);
  const failing = (state.sources ?? []).filter((s) => s.status === 'failing').length;
  renderTabs({
    active: state.tab, sheetOpen: state.sheetOpen,
    badges: { alerts: open.length ? String(open.length) : undefined, advice: advice.length ? String(advice.length) : undefined,
      sources: failing ? '!' : undefined },
    onOpen: (tab) => openTab(tab, true),
  });
  const allowed = can(state, 'view_alerts');
  renderAlertsPanel(byId('alerts-panel'), {
    alerts, allowed, owner, ownerLabels: labels, zoneName, timeZone: site.timezone, nowMs: now, error: state.errors.alerts,
    onAck: (ids) => void acknowledge(ids), onMeasure: (id, m, note) => void recordMeasure(id, m, note),
    onResolve: (id, reason) => void resolveAlert(id, reason), onZone: (id) => selectZone(id, true),
    rerender: scheduleRender,
  });
  renderAdvicePanel(byId('advice-panel'), {
    advice, alerts, allowed, owner, ownerLabels: labels, zoneName, timeZone: site.timezone, nowMs: now,
    onZone: (id) => selectZone(id, true),
  });
  renderSourcesPanel(byId('sources-panel'), state.sources, state.live, state.errors.sources);
  if (allowed) {
    renderLogPanel(byId('log-panel'), {
      log: state.incidents, siteId: site.id, timeZone: site.timezone, error: state.errors.log,
      zones: state.zones.map((z) => ({ id: z.id, name: z.properties.name })),
      onFilter: () => openTab('log', false),
    });
  } else {
    fill(byId('log-panel'), h('h2', {}, 'Incident log'), h('p', { class: 'note' }, 'Your role does not see the incident log.'));
  }
}

function renderHeader(state: DashboardState, now: number | null, frames: Record<string, ZoneFrame>): void {
  const site = state.site;
  if (!site) return;
  byId('clock').textContent = now === null ? '' : formatDateTime(now, site.timezone);
  const conn = byId('connection');
  conn.dataset.state = state.connection;
  const health = dataHealth(state.connection, state.live, state.sources, state.zones.length);
  conn.dataset.health = health.level;
  conn.textContent = health.text;
  conn.title = 'Data health: connection, stale zones, failing feeds';
  // The counts follow the slider: at its moment, not always now.
  const counts = levelCounts(state.cursor === null ? state.live : frames);
  const counted = byId('level-counts');
  counted.dataset.moment = state.cursor === null ? 'live' : String(state.cursor);
  fill(counted,
    ...LEVELS.map((level) => h('span', { class: 'count-chip', 'data-level': level,
      style: `border-color:${LEVEL_COLOURS[level]}` }, h('b', {}, String(counts[level] ?? 0)), ` ${LEVEL_LABELS[level]}`)),
    counts.stale ? h('span', { class: 'count-chip stale' }, h('b', {}, String(counts.stale)), ' stale') : null);
}

function renderSelected(state: DashboardState, now: number | null, frame: ZoneFrame): void {
  const element = byId('zone-panel');
  const zone = state.selected ? state.zones.find((z) => z.id === state.selected) : undefined;
  document.body.dataset.zoneOpen = String(Boolean(zone));
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
    cursor: state.cursor, timeZone: state.site.timezone, onClose: () => selectZone(null, true),
  });
}
