/** The trainee's view of the sandbox: its zones on the site's 3D map and in a table by level, and its
 * alerts with the same steps as live (acknowledge, record a measure from the playbook's advice or in
 * own words, resolve). Every request goes to the session's routes; the live alerts are never touched. */

import { postJson, trainingUrl } from '../api';
import { message } from '../context';
import { fill, h } from '../dom';
import { formatCount, formatDensity } from '../format';
import type { TrainingState } from '../training';
import { levelChip, sessionTime } from '../training-format';
import type { TrainingAlert, TrainingSession } from '../training-types';
import { drawSandboxMap } from './training-map';

const LEVEL_ORDER: Record<string, number> = { red: 0, orange: 1, yellow: 2, green: 3, unknown: 4 };

export function renderSandbox(main: HTMLElement, state: TrainingState, changed: () => void): void {
  const session = state.session!;
  if (main.dataset.built !== `sandbox-${session.id}`) {
    fill(main,
      h('section', { class: 'panel training-card training-map-card' },
        h('h2', {}, 'Map ', h('span', { class: 'training-tag' }, 'TRAINING')),
        h('div', { id: 'map', class: 'training-map', role: 'application',
          'aria-label': 'The sandbox zones on the 3D map, coloured by the session level' })),
      h('section', { class: 'panel training-card training-alerts-card' },
        h('h2', {}, 'Alerts ', h('span', { class: 'training-tag' }, 'TRAINING')),
        h('ul', { id: 'training-alerts', class: 'training-alerts' })),
      h('section', { class: 'panel training-card' },
        h('h2', {}, 'Zones ', h('span', { class: 'training-tag' }, 'TRAINING')),
        h('table', { class: 'training-table', id: 'training-zones' })));
    main.dataset.built = `sandbox-${session.id}`;
    delete main.dataset.alerts;
  }
  renderAlerts(main, state, session, changed);
  renderZones(main, state);
  drawSandboxMap(main.querySelector<HTMLElement>('#map')!, state, (zoneId) => showZoneRow(main, zoneId));
}

/** A zone picked on the map: its row in the table, brought into view and marked. */
function showZoneRow(main: HTMLElement, zoneId: string): void {
  for (const row of main.querySelectorAll<HTMLElement>('#training-zones tr.picked')) row.classList.remove('picked');
  const row = main.querySelector<HTMLElement>(`#training-zones tr[data-zone="${CSS.escape(zoneId)}"]`);
  row?.classList.add('picked');
  row?.scrollIntoView({ block: 'nearest' });
}

function renderAlerts(main: HTMLElement, state: TrainingState, session: TrainingSession, changed: () => void): void {
  const list = main.querySelector<HTMLElement>('#training-alerts')!;
  const alerts = state.alerts?.alerts ?? [];
  const signature = JSON.stringify(alerts.map((a) => [a.id, a.status, a.history.length]));
  // Leave the list alone while a trainee types a measure, unless the alerts themselves changed.
  if (main.dataset.alerts === signature) return;
  main.dataset.alerts = signature;
  // Open alerts first, the most severe first (newest first within a level), as in the live list.
  const open = alerts.filter((a) => a.status !== 'resolved').sort((a, b) =>
    (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || b.raised_at.localeCompare(a.raised_at));
  const closed = alerts.filter((a) => a.status === 'resolved').slice(0, 10);
  fill(list, ...(alerts.length ? [...open, ...closed].map((a) => alertItem(a, session, changed))
    : [h('li', { class: 'muted' }, 'No alerts in the sandbox yet.')]));
}

function alertItem(alert: TrainingAlert, session: TrainingSession, changed: () => void): HTMLElement {
  const status = h('p', { class: 'muted', role: 'status' });
  const step = (rest: string, body: unknown): void => {
    postJson(trainingUrl(session.id, `/alerts/${encodeURIComponent(alert.id)}${rest}`), body)
      .then(changed, (error: unknown) => { status.textContent = message(error); });
  };
  const done = alert.status === 'resolved';
  const measure = h('select', { 'aria-label': `Measure for ${alert.zone_name}`, class: 'training-measure' },
    ...alert.advised.map((m) => h('option', { value: m.id }, `${m.id}: ${m.measure}`)),
    h('option', { value: '' }, 'Other (describe)…'));
  const other = h('input', { type: 'text', maxlength: 200, placeholder: 'what you did', class: 'training-other',
    'aria-label': 'Measure in your own words' });
  const buttons = done ? [] : [
    h('button', { type: 'button', 'data-step': 'ack', disabled: alert.status !== 'raised',
      onclick: () => step('/ack', {}) }, 'Acknowledge'),
    measure, other,
    h('button', { type: 'button', 'data-step': 'measure', onclick: () => {
      const chosen = measure.value || other.value.trim();
      if (!chosen) { status.textContent = 'Choose a measure or describe it.'; return; }
      step('/measure', { measure: chosen });
    } }, 'Measure taken'),
    h('button', { type: 'button', 'data-step': 'resolve', onclick: () => step('/resolve', {}) }, 'Resolve'),
  ];
  const steps = alert.history.slice(1).map((s) => `${s.status.replace(/_/g, ' ')} ${sessionTime(String(s.at), session.timezone)} by ${s.by ?? '–'}`);
  return h('li', { class: `training-alert status-${alert.status}`, 'data-alert': alert.id, 'data-zone': alert.zone_id },
    h('div', { class: 'training-alert-head' }, levelChip(alert.level), ' ',
      h('strong', {}, alert.zone_name), ` · ${sessionTime(alert.raised_at, session.timezone)} · `,
      h('span', { class: 'alert-status' }, alert.status.replace(/_/g, ' '))),
    h('p', {}, alert.message),
    alert.advised.length ? h('p', { class: 'muted' }, 'Playbook: ', alert.advised.map((m) => m.measure).join(' · ')) : null,
    steps.length ? h('p', { class: 'muted' }, steps.join(' · ')) : null,
    buttons.length ? h('div', { class: 'training-row' }, ...buttons) : null, status);
}

function renderZones(main: HTMLElement, state: TrainingState): void {
  const zones = [...(state.zones?.zones ?? [])].sort((a, b) =>
    (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || a.name.localeCompare(b.name));
  fill(main.querySelector('#training-zones')!,
    h('thead', {}, h('tr', {}, h('th', {}, 'Zone'), h('th', {}, 'Level'), h('th', {}, 'Persons'), h('th', {}, 'Density'))),
    h('tbody', {}, ...zones.map((z) => h('tr', { 'data-zone': z.zone_id },
      h('td', {}, z.name, z.stale ? h('span', { class: 'tag' }, 'stale') : null), h('td', {}, levelChip(z.level)),
      h('td', { class: 'num' }, formatCount(z.occupancy)), h('td', { class: 'num' }, formatDensity(z.density_per_m2))))));
}
