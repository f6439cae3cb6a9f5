/** The legend: each level with its density range and meaning (from the site's thresholds), plus
 * how stale zones and the forecast's uncertainty are drawn. */

import { h, fill } from '../dom';
import { LEVEL_COLOURS, LEVEL_LABELS } from '../levels';
import type { LegendRow } from '../types';

function range(row: LegendRow): string {
  if (row.density_to === null) return `≥ ${row.density_from.toFixed(2)} p/m²`;
  if (row.density_from === 0) return `< ${row.density_to.toFixed(2)} p/m²`;
  return `${row.density_from.toFixed(2)}–${row.density_to.toFixed(2)} p/m²`;
}

export function renderLegend(element: HTMLElement, rows: LegendRow[]): void {
  const open = element.querySelector('details')?.open ?? true;
  fill(
    element,
    h('details', { open },
    h('summary', {}, h('h2', {}, 'Levels')),
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
