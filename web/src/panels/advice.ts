/** The advice panel: measures to start, the caller's own first, with owners in words, start
 * times relative to now (overdue ones flagged), predictions whose time has passed marked, and a
 * warning when the advice rests on stale zones. */

import { h } from '../dom';
import { formatClock, formatLeadTime, formatProbability, formatRelative } from '../format';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVEL_TEXT_COLOURS } from '../levels';
import { ownAdviceFirst, ownerLabel } from '../roleview';
import type { ControlAdvice, ControlAlert } from '../types-control';
import { levelMark, refill } from './keep';

export interface AdviceContext {
  advice: ControlAdvice[] | null;
  alerts: ControlAlert[] | null;
  allowed: boolean;
  owner: string | null;
  ownerLabels: Record<string, string> | undefined;
  zoneName(zoneId: string): string;
  timeZone: string;
  nowMs: number | null;
  onZone(zoneId: string): void;
}

/** Minutes a measure is late: its start-by time has passed and no open alert of its zones records
 * it as taken. Null when it is not late. */
export function overdueMinutes(a: ControlAdvice, alerts: readonly ControlAlert[], nowMs: number): number | null {
  const late = Math.floor((nowMs - Date.parse(a.start_by)) / 60_000);
  if (late < 1) return null;
  const zones = new Set([a.zone_id, ...(a.zones ?? [])]);
  const taken = alerts.some((al) => zones.has(al.zone_id) && (al.measures_taken ?? []).some((m) => m.measure === a.measure_id));
  return taken ? null : late;
}

export function renderAdvicePanel(element: HTMLElement, ctx: AdviceContext): void {
  if (!ctx.allowed) {
    refill(element, h('h2', {}, 'Advice'), h('p', { class: 'note' }, 'Your role does not see alerts and advice.'));
    return;
  }
  const advice = ownAdviceFirst(ctx.advice ?? [], ctx.owner);
  const now = ctx.nowMs;
  refill(
    element,
    h('h2', { tabindex: -1, 'data-key': 'advice-heading' }, 'Advice ', h('span', { class: 'count neutral' }, String(advice.length))),
    advice.length === 0 ? h('p', { class: 'note' }, 'No measures advised now.') : h('ol', { class: 'advice-list' },
      ...advice.slice(0, 20).map((a) => {
        const startBy = Date.parse(a.start_by);
        const late = now === null ? null : overdueMinutes(a, ctx.alerts ?? [], now);
        const passed = a.trigger !== 'current' && now !== null && Date.parse(a.expected_at) < now;
        const own = ctx.owner !== null && a.owner === ctx.owner;
        return h('li', { 'data-measure': a.measure_id, 'data-owner': a.owner, 'data-own': String(own),
          'data-overdue': late !== null ? 'true' : null },
        h('span', { class: 'chip', style: `background:${LEVEL_COLOURS[a.level]};color:${LEVEL_TEXT_COLOURS[a.level]}` }, `${levelMark(a.level)} ${LEVEL_LABELS[a.level]}`),
        own ? h('span', { class: 'own-tag' }, 'yours') : null,
        h('strong', {}, a.measure),
        h('div', { class: 'meta' },
          h('span', { class: 'owner', 'data-field': 'owner' }, a.owner_label ?? ownerLabel(a.owner, ctx.ownerLabels)), ' · ',
          h('a', { href: '#', class: 'zone-link', onclick: (e: Event) => { e.preventDefault(); ctx.onZone(a.zone_id); } },
            ctx.zoneName(a.zone_id)), ' · ',
          `start by ${formatClock(startBy, ctx.timeZone)}`,
          now !== null && late === null ? ` (${formatRelative(startBy, now)})` : '',
          ` · lead ${formatLeadTime(a.lead_time_minutes)} · p ${formatProbability(a.probability)}`),
        late !== null ? h('div', { class: 'overdue', 'data-field': 'overdue' }, `⏰ overdue by ${formatLeadTime(late)}: no measure recorded`) : null,
        passed ? h('div', { class: 'passed-note' },
          `predicted for ${formatClock(Date.parse(a.expected_at), ctx.timeZone)}: that time has passed`) : null,
        (a.stale_zones ?? []).length ? h('div', { class: 'stale-note' },
          `⚠ rests on stale data: ${(a.stale_zones ?? []).map(ctx.zoneName).join(', ')}`) : null,
        h('div', { class: 'reason' }, a.reason),
        a.alternatives?.redirect_to.length
          ? h('div', { class: 'meta' }, `send visitors to: ${a.alternatives.redirect_to.map(ctx.zoneName).join(', ')}`)
          : null);
      })),
  );
}
