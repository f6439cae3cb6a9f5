/** The legend: each level with its density range and meaning (from the site's thresholds), plus
 * how stale zones and the forecast's uncertainty are drawn. */

import { h, fill } from '../dom';
import { formatDensity } from '../format';
import { LEVEL_COLOURS, LEVEL_LABELS } from '../levels';
import type { LegendRow } from '../types';

function range(row: LegendRow): string {
  if (row.density_to === null) return `≥ ${formatDensity(row.density_from)}`;
  if (row.density_from === 0) return `< ${formatDensity(row.density_to)}`;
  return `${formatDensity(row.density_from, false)}–${formatDensity(row.density_to)}`;
}

/** Collapsed by default on small screens (the legend would cover the map); then as the user left it. */
function isOpen(element: HTMLElement): boolean {
  const details = element.querySelector('details');
  if (details) return details.open;
  return !window.matchMedia('(max-width: 1100px)').matches;
}

/** The legend with the thresholds that apply: the selected zone's own (named) or the site's. */
export function renderLegend(element: HTMLElement, rows: LegendRow[], zoneName: string | null = null): void {
  const signature = JSON.stringify([rows, zoneName]);
  if (element.dataset.signature === signature) return;
  element.dataset.signature = signature;
  const open = isOpen(element);
  element.dataset.scope = zoneName ? 'zone' : 'site';
  fill(
    element,
    h('details', { open },
    h('summary', {}, h('h2', {}, zoneName ? `Levels · ${zoneName}` : 'Levels')),
    h('ul', {},
      ...rows.map((row) => h('li', { 'data-level': row.level },
        h('span', { class: 'swatch', style: `background:${LEVEL_COLOURS[row.level]}` }),
        h('strong', {}, LEVEL_LABELS[row.level]), ' ', h('span', { class: 'range' }, range(row)),
        row.meaning ? h('div', { class: 'meaning' }, row.meaning) : null)),
      h('li', {}, h('span', { class: 'swatch hatched' }), h('strong', {}, 'Stale'), ' ',
        h('span', { class: 'range' }, 'no recent data: hatched, dashed outline')),
      h('li', {}, h('span', { class: 'swatch hull' }), h('strong', {}, 'Forecast'), ' ',
        h('span', { class: 'range' }, 'solid = p50, glass hull = p90')),
    ),
    h('p', { class: 'note' }, 'Height: density relative to the zone\'s red threshold. Zones may use their own thresholds (see the zone panel).'),
    ),
  );
}
