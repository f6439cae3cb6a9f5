/** The incident log of the day: every alert, step, actor and time, filterable, exportable as CSV
 * and PDF (the same filters go to the export). The control room's record of the day. */

import { siteUrl } from '../api';
import { h } from '../dom';
import { formatClock } from '../format';
import { LEVEL_LABELS } from '../levels';
import type { IncidentLog } from '../types-control';
import { refill, typingIn } from './keep';

export interface LogFilters {
  zone: string;
  level: string;
  step: string;
  actor: string;
}

export const logFilters: LogFilters = { zone: '', level: '', step: '', actor: '' };

const STEPS: [string, string][] = [['', 'all steps'], ['raised', 'raised'], ['acknowledged', 'acknowledged'],
  ['measure_taken', 'measure taken'], ['resolved', 'resolved']];

export function logQuery(filters: LogFilters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface LogContext {
  log: IncidentLog | null;
  siteId: string;
  zones: { id: string; name: string }[];
  timeZone: string;
  error: string | null;
  onFilter(): void;
}

export function renderLogPanel(element: HTMLElement, ctx: LogContext): void {
  if (typingIn(element)) return;
  const set = (key: keyof LogFilters) => (e: Event): void => {
    logFilters[key] = (e.target as HTMLInputElement | HTMLSelectElement).value.trim();
    ctx.onFilter();
  };
  const query = logQuery(logFilters);
  const entries = ctx.log?.entries ?? [];
  refill(
    element,
    h('h2', { tabindex: -1, 'data-key': 'log-heading' }, `Incident log${ctx.log ? ` · ${ctx.log.day}` : ''}`),
    h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { class: 'filter' }, 'Zone ', h('select', { 'data-key': 'log-zone', onchange: set('zone') },
        h('option', { value: '' }, 'all zones'),
        ...ctx.zones.map((z) => h('option', { value: z.id, selected: z.id === logFilters.zone }, z.name)))),
      h('label', { class: 'filter' }, 'Level ', h('select', { 'data-key': 'log-level', onchange: set('level') },
        ...[['', 'all'], ['red', 'Red'], ['orange', 'Orange'], ['yellow', 'Yellow']]
          .map(([v, t]) => h('option', { value: v, selected: v === logFilters.level }, t)))),
      h('label', { class: 'filter' }, 'Step ', h('select', { 'data-key': 'log-step', onchange: set('step') },
        ...STEPS.map(([v, t]) => h('option', { value: v, selected: v === logFilters.step }, t)))),
      h('label', { class: 'filter' }, 'Actor ', h('input', { 'data-key': 'log-actor', value: logFilters.actor,
        size: 10, onchange: set('actor'), placeholder: 'name' }))),
    h('p', { class: 'exports' }, 'Export: ',
      h('a', { href: siteUrl(ctx.siteId, `/incidents.csv${query}`), download: '', 'data-export': 'csv' }, 'CSV'), ' · ',
      h('a', { href: siteUrl(ctx.siteId, `/incidents.pdf${query}`), download: '', 'data-export': 'pdf' }, 'PDF')),
    entries.length === 0 ? h('p', { class: 'note' }, ctx.log ? 'No steps match.' : 'Loading…') : h('table', { class: 'log-table' },
      h('thead', {}, h('tr', {}, ...['Time', 'Step', 'Actor'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...[...entries].reverse().map((e) => h('tr', { 'data-step': e.step, 'data-alert': e.alert_id },
        h('td', {}, formatClock(Date.parse(e.at), ctx.timeZone)),
        h('td', {}, h('strong', {}, e.step.replace('_', ' ')), ` · ${e.zone_name} · ${LEVEL_LABELS[e.level] ?? e.level}`,
          h('div', { class: 'meta' }, e.measure_text ?? e.message), e.note ? h('div', { class: 'meta' }, `“${e.note}”`) : null),
        h('td', { 'data-field': 'actor' }, e.actor))))),
    ctx.error ? h('p', { class: 'error' }, ctx.error) : null,
  );
}
