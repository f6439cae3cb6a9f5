/** The alerts panel: open alerts grouped by zone (the caller's own first), filters by level and
 * owner, acknowledge-all per zone, and each alert's lifecycle in the page: acknowledge, record a
 * measure (which advised measure, a note), resolve (a reason). Buttons appear only for the steps
 * the API says the caller may take. Times are relative to now and recomputed at every render. */

import { h } from '../dom';
import { formatClock, formatProbability, formatRelative } from '../format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVEL_TEXT_COLOURS } from '../levels';
import { alertsInOrder, isOwnAlert, ownerLabel } from '../roleview';
import type { ControlAlert } from '../types-control';
import { levelMark, refill, typingIn } from './keep';

export interface AlertsContext {
  alerts: ControlAlert[] | null;
  allowed: boolean;
  owner: string | null;
  ownerLabels: Record<string, string> | undefined;
  zoneName(zoneId: string): string;
  timeZone: string;
  nowMs: number | null;
  error: string | null;
  onAck(alertIds: string[]): void;
  onMeasure(alertId: string, measure: string, note: string): void;
  onResolve(alertId: string, reason: string): void;
  onZone(zoneId: string): void;
  rerender(): void;
}

const STATUS_WORDS: Record<string, string> = {
  raised: 'new', acknowledged: 'acknowledged', measure_taken: 'measure taken', resolved: 'resolved',
};

/** What the operator has chosen in the panel (kept across renders). */
const ui = {
  level: 'all',
  owner: 'all',
  form: null as null | { alertId: string; kind: 'measure' | 'resolve' },
  forced: false,
};

/** Filtered by the panel's level and owner filters. */
export function filterAlerts(alerts: readonly ControlAlert[], level: string, owner: string): ControlAlert[] {
  return alerts.filter((a) => (level === 'all' || a.level === level)
    && (owner === 'all' || (a.measures ?? []).some((m) => m.owner === owner)));
}

/** Zone groups in the order of their first alert. */
export function groupByZone(alerts: readonly ControlAlert[]): [string, ControlAlert[]][] {
  const groups = new Map<string, ControlAlert[]>();
  for (const a of alerts) groups.set(a.zone_id, [...(groups.get(a.zone_id) ?? []), a]);
  return [...groups.entries()];
}

function select(key: string, label: string, value: string, options: [string, string][],
  onChange: (v: string) => void): HTMLElement {
  return h('label', { class: 'filter' }, label, ' ',
    h('select', { 'data-key': key, onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value) },
      ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function times(a: ControlAlert, ctx: AlertsContext): string {
  const raised = Date.parse(a.raised_at);
  const now = ctx.nowMs;
  let text = `${a.kind === 'predicted_crossing' ? 'predicted' : 'raised'} ${formatClock(raised, ctx.timeZone)}`;
  if (now !== null) text += ` (${formatRelative(raised, now)})`;
  if (a.expected_at) {
    const expected = Date.parse(a.expected_at);
    text += ` · expected ${formatClock(expected, ctx.timeZone)}`;
    if (now !== null) text += expected < now ? ' (time passed)' : ` (${formatRelative(expected, now)})`;
  }
  if (a.probability !== null && a.probability !== undefined) text += ` · p ${formatProbability(a.probability)}`;
  return text;
}

function measureForm(a: ControlAlert, ctx: AlertsContext): HTMLElement {
  const own = (a.measures ?? []).filter((m) => (a.actions ?? []).includes('resolve') || m.owner === ctx.owner);
  const submit = (e: Event): void => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const measure = String(data.get('measure') ?? '');
    const note = String(data.get('note') ?? '').trim();
    ui.form = null;
    ctx.onMeasure(a.id, measure === 'other' ? note || 'other measure' : measure, note);
  };
  return h('form', { class: 'step-form', 'data-form': 'measure', onsubmit: submit },
    h('label', {}, 'Measure taken ',
      h('select', { name: 'measure', 'data-key': `m-${a.id}`, required: true },
        ...own.map((m) => h('option', { value: m.id }, `${m.measure} — ${m.owner_label}`)),
        (a.actions ?? []).includes('resolve') ? h('option', { value: 'other' }, 'Other (describe in the note)') : null)),
    h('label', {}, 'Note ', h('textarea', { name: 'note', rows: 2, maxlength: 2000, 'data-key': `n-${a.id}` })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Record measure'),
      h('button', { type: 'button', onclick: () => { ui.form = null; ui.forced = true; ctx.rerender(); } }, 'Cancel')));
}

function resolveForm(a: ControlAlert, ctx: AlertsContext): HTMLElement {
  const submit = (e: Event): void => {
    e.preventDefault();
    const reason = String(new FormData(e.target as HTMLFormElement).get('reason') ?? '').trim();
    if (!reason) return;
    ui.form = null;
    ctx.onResolve(a.id, reason);
  };
  return h('form', { class: 'step-form', 'data-form': 'resolve', onsubmit: submit },
    h('label', {}, 'Reason ', h('input', { name: 'reason', required: true, maxlength: 2000, 'data-key': `r-${a.id}`,
      placeholder: 'e.g. crowd thinned out, measure effective' })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Resolve'),
      h('button', { type: 'button', onclick: () => { ui.form = null; ui.forced = true; ctx.rerender(); } }, 'Cancel')));
}

function openForm(alertId: string, kind: 'measure' | 'resolve', ctx: AlertsContext): void {
  ui.form = { alertId, kind };
  ui.forced = true;
  ctx.rerender();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    document.querySelector<HTMLElement>(`[data-alert="${alertId}"] .step-form select, [data-alert="${alertId}"] .step-form input`)
      ?.focus();
  }));
}

function alertItem(a: ControlAlert, ctx: AlertsContext): HTMLElement {
  const actions = a.actions ?? [];
  const passed = a.kind === 'predicted_crossing' && a.expected_at && ctx.nowMs !== null
    && Date.parse(a.expected_at) < ctx.nowMs;
  const form = ui.form?.alertId === a.id ? ui.form.kind : null;
  return h('li', { 'data-alert': a.id, 'data-status': a.status, 'data-level': a.level,
    'data-own': String(isOwnAlert(a, ctx.owner)), 'data-passed': passed ? 'true' : null },
  h('span', { class: 'chip', style: `background:${LEVEL_COLOURS[a.level]};color:${LEVEL_TEXT_COLOURS[a.level]}` }, `${levelMark(a.level)} ${LEVEL_LABELS[a.level]}`),
  h('span', { class: 'status-word' }, STATUS_WORDS[a.status] ?? a.status),
  isOwnAlert(a, ctx.owner) ? h('span', { class: 'own-tag' }, 'your measure') : null,
  h('div', { class: 'message' }, a.message),
  h('div', { class: 'meta', 'data-field': 'times' }, times(a, ctx)),
  a.zone_stale ? h('div', { class: 'stale-note' }, '⚠ rests on stale data: this zone has no recent counts') : null,
  passed ? h('div', { class: 'passed-note' }, 'The predicted time has passed; waiting for the picture to confirm or close it.') : null,
  (a.measures ?? []).length ? h('div', { class: 'meta owners' }, 'owners: ',
    [...new Set((a.measures ?? []).map((m) => ownerLabel(m.owner, ctx.ownerLabels)))].join(', ')) : null,
  a.acknowledged_by ? h('div', { class: 'meta' }, `acknowledged by ${a.acknowledged_by}`,
    a.acknowledged_at && ctx.nowMs !== null ? ` (${formatRelative(Date.parse(a.acknowledged_at), ctx.nowMs)})` : '') : null,
  ...(a.measures_taken ?? []).map((m) => h('div', { class: 'meta taken', 'data-field': 'measure-taken' },
    `✓ ${(a.measures ?? []).find((x) => x.id === m.measure)?.measure ?? m.measure ?? ''} — ${m.by ?? ''}`,
    m.note ? ` · ${m.note}` : '')),
  actions.length ? h('div', { class: 'step-buttons' },
    actions.includes('ack') ? h('button', { type: 'button', class: 'ack', 'data-key': `ack-${a.id}`,
      onclick: () => ctx.onAck([a.id]) }, 'Acknowledge') : null,
    actions.includes('measure') ? h('button', { type: 'button', class: 'measure', 'data-key': `mb-${a.id}`,
      'aria-expanded': String(form === 'measure'), onclick: () => openForm(a.id, 'measure', ctx) }, 'Record measure') : null,
    actions.includes('resolve') ? h('button', { type: 'button', class: 'resolve', 'data-key': `rb-${a.id}`,
      'aria-expanded': String(form === 'resolve'), onclick: () => openForm(a.id, 'resolve', ctx) }, 'Resolve') : null) : null,
  form === 'measure' ? measureForm(a, ctx) : form === 'resolve' ? resolveForm(a, ctx) : null);
}

export function renderAlertsPanel(element: HTMLElement, ctx: AlertsContext): void {
  if (!ctx.allowed) {
    refill(element, h('h2', {}, 'Alerts'), h('p', { class: 'note' }, 'Your role does not see alerts and advice.'));
    return;
  }
  if (typingIn(element) && !ui.forced) return;
  ui.forced = false;
  const open = alertsInOrder(ctx.alerts ?? [], ctx.owner);
  const shown = filterAlerts(open, ui.level, ui.owner);
  const owners = [...new Set(open.flatMap((a) => (a.measures ?? []).map((m) => m.owner)))].sort();
  const change = (key: 'level' | 'owner') => (v: string): void => {
    ui[key] = v;
    ui.forced = true;
    ctx.rerender();
  };
  refill(
    element,
    h('h2', { tabindex: -1, id: 'alerts-heading', 'data-key': 'alerts-heading' }, 'Alerts ',
      h('span', { class: 'count', 'data-field': 'open-alerts' }, String(open.length))),
    h('div', { class: 'filters' },
      select('f-level', 'Level', ui.level, [['all', 'all levels'], ['red', 'Red'], ['orange', 'Orange'], ['yellow', 'Yellow']],
        change('level')),
      select('f-owner', 'Owner', ui.owner, [['all', 'all owners'],
        ...owners.map((o): [string, string] => [o, ownerLabel(o, ctx.ownerLabels)])], change('owner'))),
    open.length === 0 ? h('p', { class: 'note' }, 'No open alerts.')
      : shown.length === 0 ? h('p', { class: 'note' }, 'No open alerts match the filters.') : null,
    ...groupByZone(shown).map(([zoneId, alerts]) => {
      const ackable = alerts.filter((a) => (a.actions ?? []).includes('ack'));
      return h('section', { class: 'alert-group', 'data-zone': zoneId },
        h('header', {},
          h('a', { href: '#', class: 'zone-link', onclick: (e: Event) => { e.preventDefault(); ctx.onZone(zoneId); } },
            ctx.zoneName(zoneId)),
          h('span', { class: 'group-count' }, `${alerts.length} open`),
          ackable.length > 1 ? h('button', { type: 'button', class: 'ack-all', 'data-key': `all-${zoneId}`,
            onclick: () => ctx.onAck(ackable.map((a) => a.id)) }, `Acknowledge all (${ackable.length})`) : null),
        h('ul', { class: 'alert-list' }, ...alerts.map((a) => alertItem(a, ctx))));
    }),
    ctx.error ? h('p', { class: 'error', role: 'status' }, ctx.error) : null,
  );
}
