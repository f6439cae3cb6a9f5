/** The zone panel: what one zone looks like now (or at the slider's moment), the sources feeding it
 * with their freshness, and a chart of the last hours and the forecast band. */

import { chartModel } from '../chart';
import { h, s, fill } from '../dom';
import { ageSeconds, formatAge, formatClock, formatCount, formatDensity, formatPercent } from '../format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVEL_TEXT_COLOURS, legendFor } from '../levels';
import type { ZoneFrame, ZonePoint } from '../timeline';
import type { ZoneFeature, ZoneState } from '../types';

export interface ZonePanelContext {
  zone: ZoneFeature;
  frame: ZoneFrame;
  live: ZoneState | undefined;
  points: ZonePoint[];
  nowMs: number | null;
  cursor: number | null;
  timeZone: string;
  onClose(): void;
}

function row(label: string, value: string, field: string): HTMLElement {
  return h('div', { class: 'kv' }, h('dt', {}, label), h('dd', { 'data-field': field }, value));
}

function chart(ctx: ZonePanelContext): SVGElement | HTMLElement {
  if (ctx.nowMs === null || ctx.points.length < 2) return h('p', { class: 'note' }, 'No history yet for a chart.');
  const m = chartModel(ctx.points, ctx.zone.properties, ctx.nowMs, ctx.cursor);
  const label = (t: number): string => formatClock(t, ctx.timeZone);
  return s('svg', { class: 'chart', viewBox: `0 0 ${m.width} ${m.height + 14}`, role: 'img',
    'aria-label': `Density of ${ctx.zone.properties.name}: last hours and forecast` },
  ...m.thresholds.map((t) => s('line', { x1: 0, x2: m.width, y1: t.y, y2: t.y, class: `threshold ${t.level}`,
    stroke: LEVEL_COLOURS[t.level] })),
  m.band ? s('path', { d: m.band, class: 'band' }) : null,
  m.past ? s('path', { d: m.past, class: 'past' }) : null,
  m.p50 ? s('path', { d: m.p50, class: 'p50' }) : null,
  m.nowX !== null ? s('line', { x1: m.nowX, x2: m.nowX, y1: 0, y2: m.height, class: 'now' }) : null,
  m.cursorX !== null ? s('line', { x1: m.cursorX, x2: m.cursorX, y1: 0, y2: m.height, class: 'cursor' }) : null,
  s('text', { x: 2, y: m.height + 12, class: 'axis' }, label(m.start)),
  m.nowX !== null ? s('text', { x: m.nowX, y: m.height + 12, class: 'axis', 'text-anchor': 'middle' }, 'now') : null,
  s('text', { x: m.width - 2, y: m.height + 12, class: 'axis', 'text-anchor': 'end' }, label(m.end)),
  s('text', { x: 4, y: 12, class: 'axis' }, `max ${m.yMax.toFixed(1)} p/m²`));
}

function sources(ctx: ZonePanelContext): HTMLElement {
  const list = ctx.live?.sources ?? [];
  if (!list.length) return h('p', { class: 'note' }, 'No sensors feed this zone.');
  return h('ul', { class: 'sources' }, ...list.map((src) => {
    const age = src.age_seconds ?? (ctx.nowMs === null ? null : ageSeconds(src.last_interval_end, ctx.nowMs));
    return h('li', { class: src.stale ? 'stale' : 'fresh', 'data-sensor': src.sensor_id },
      h('span', { class: 'dot' }), h('span', { class: 'name' }, src.sensor_id),
      h('span', { class: 'kind' }, src.kind.replace(/_/g, ' ')),
      h('span', { class: 'age' }, src.stale ? `stale · ${formatAge(age)}` : formatAge(age)));
  }));
}

export function renderZonePanel(element: HTMLElement, ctx: ZonePanelContext | null): void {
  if (!ctx) {
    element.hidden = true;
    element.removeAttribute('data-zone');
    element.removeAttribute('data-level');
    fill(element);
    return;
  }
  const { zone, frame } = ctx;
  const p = zone.properties;
  element.hidden = false;
  element.dataset.zone = zone.id;
  element.dataset.level = frame.level;
  element.dataset.stale = String(frame.stale);
  const when = frame.kind === 'now' || ctx.cursor === null
    ? 'now' : `${frame.kind === 'forecast' ? 'forecast for' : 'at'} ${formatClock(ctx.cursor, ctx.timeZone)}`;
  const occupancy = frame.kind === 'forecast' && frame.p10 !== null && frame.p90 !== null
    ? `${formatCount(frame.occupancy)} (p10–p90 ${formatCount(frame.p10)}–${formatCount(frame.p90)})`
    : frame.suppressed ? 'fewer than k (suppressed)' : formatCount(frame.occupancy);
  fill(
    element,
    h('header', {},
      h('h2', { 'data-field': 'name' }, p.name),
      h('button', { class: 'close', type: 'button', 'aria-label': 'Close zone panel', onclick: () => ctx.onClose() }, '×')),
    h('div', { class: 'level-badge', style: `background:${LEVEL_COLOURS[frame.level]};color:${LEVEL_TEXT_COLOURS[frame.level]}` },
      h('span', { 'data-field': 'level' }, LEVEL_LABELS[frame.level]),
      frame.stale ? h('span', { class: 'stale-tag' }, 'stale') : null,
      h('span', { class: 'when' }, when)),
    h('dl', {},
      row('Occupancy', occupancy, 'occupancy'),
      row('Density', formatDensity(frame.density), 'density'),
      row('Capacity', formatCount(p.capacity), 'capacity'),
      row('Utilisation', formatPercent(frame.occupancy === null ? null : frame.occupancy / p.capacity), 'utilisation'),
      row('Walkable area', `${formatCount(p.walkable_area_m2)} m²`, 'area'),
      row('Thresholds', legendFor(p.thresholds).slice(1).map((r) => `${r.level[0]?.toUpperCase()} ${r.density_from}`)
        .join(' · '), 'thresholds'),
      ctx.live?.last_data_at && ctx.nowMs !== null
        ? row('Last data', formatAge(ageSeconds(ctx.live.last_data_at, ctx.nowMs)), 'last-data') : null),
    h('h3', {}, 'Last hours and forecast'),
    chart(ctx),
    h('h3', {}, 'Sources feeding this zone'),
    sources(ctx),
  );
}
