/** The alerts panel: open alerts (acknowledge with one click) and the advised measures with owner,
 * lead time and reason. Roles without the right to see alerts get a plain note instead. */

import { h, fill } from '../dom';
import { formatClock, formatLeadTime, formatProbability } from '../format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVEL_TEXT_COLOURS, levelRank } from '../levels';
import type { AdviceAnswer, Alert, AlertsAnswer } from '../types';

export interface AlertsContext {
  alerts: AlertsAnswer | null;
  advice: AdviceAnswer | null;
  allowed: boolean;
  canHandle: boolean;
  zoneName(zoneId: string): string;
  timeZone: string;
  onAck(alertId: string): void;
  onZone(zoneId: string): void;
  error: string | null;
}

/** Unresolved alerts, the most severe first; within a level the newest first (the API's order). */
export function openBySeverity(alerts: readonly Alert[]): Alert[] {
  return alerts.filter((a) => a.status !== 'resolved')
    .map((a, i) => ({ a, i }))
    .sort((x, y) => levelRank(y.a.level) - levelRank(x.a.level) || x.i - y.i)
    .map(({ a }) => a);
}

export function renderAlertsPanel(element: HTMLElement, ctx: AlertsContext): void {
  if (!ctx.allowed) {
    fill(element, h('h2', {}, 'Alerts'), h('p', { class: 'note' }, 'Your role does not see alerts and advice.'));
    return;
  }
  const open = openBySeverity(ctx.alerts?.alerts ?? []);
  const advice = ctx.advice?.advice ?? [];
  fill(
    element,
    h('h2', {}, 'Alerts ', h('span', { class: 'count', 'data-field': 'open-alerts' }, String(open.length))),
    open.length === 0 ? h('p', { class: 'note' }, 'No open alerts.') : h('ul', { class: 'alert-list' },
      ...open.map((a) => h('li', { 'data-alert': a.id, 'data-status': a.status },
        h('span', { class: 'chip', style: `background:${LEVEL_COLOURS[a.level]};color:${LEVEL_TEXT_COLOURS[a.level]}` }, LEVEL_LABELS[a.level]),
        h('a', { href: '#', class: 'zone-link', onclick: (e: Event) => { e.preventDefault(); ctx.onZone(a.zone_id); } },
          ctx.zoneName(a.zone_id)),
        h('div', { class: 'message' }, a.message),
        h('div', { class: 'meta' },
          `${a.kind === 'predicted_crossing' ? 'predicted' : 'raised'} ${formatClock(Date.parse(a.raised_at), ctx.timeZone)}`,
          a.expected_at ? ` · expected ${formatClock(Date.parse(a.expected_at), ctx.timeZone)}` : '',
          a.probability !== null && a.probability !== undefined ? ` · p ${formatProbability(a.probability)}` : '',
          a.acknowledged_by ? ` · acknowledged by ${a.acknowledged_by}` : ''),
        a.status === 'raised' && ctx.canHandle
          ? h('button', { type: 'button', class: 'ack', onclick: () => ctx.onAck(a.id) }, 'Acknowledge') : null))),
    h('h3', {}, 'Advice'),
    advice.length === 0 ? h('p', { class: 'note' }, 'No measures advised now.') : h('ol', { class: 'advice-list' },
      ...advice.slice(0, 12).map((a) => h('li', { 'data-measure': a.measure_id },
        h('span', { class: 'chip', style: `background:${LEVEL_COLOURS[a.level]};color:${LEVEL_TEXT_COLOURS[a.level]}` }, LEVEL_LABELS[a.level]),
        h('strong', {}, a.measure),
        h('div', { class: 'meta' },
          h('span', { class: 'owner' }, a.owner), ' · ',
          h('a', { href: '#', class: 'zone-link', onclick: (e: Event) => { e.preventDefault(); ctx.onZone(a.zone_id); } },
            ctx.zoneName(a.zone_id)), ' · ',
          `start by ${formatClock(Date.parse(a.start_by), ctx.timeZone)} (lead ${formatLeadTime(a.lead_time_minutes)})`,
          ` · p ${formatProbability(a.probability)}`),
        h('div', { class: 'reason' }, a.reason),
        a.alternatives?.redirect_to.length
          ? h('div', { class: 'meta' }, `send visitors to: ${a.alternatives.redirect_to.map(ctx.zoneName).join(', ')}`)
          : null))),
    ctx.error ? h('p', { class: 'error' }, ctx.error) : null,
  );
}
