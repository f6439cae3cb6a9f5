/** The sources panel: counting sensors (from the live picture) and every configured data source
 * (transit, parking, traffic, weather, visitors, events) with freshness and its last error. */

import { h } from '../dom';
import { refill } from './keep';
import { formatAge } from '../format';
import { plainError } from '../health';
import { disruptionsSection } from './disruptions';
import type { SourceStatus, ZoneState } from '../types';

export function sensorSummary(live: Record<string, ZoneState>): { total: number; stale: number; oldest: number | null } {
  const seen = new Map<string, { stale: boolean; age: number | null }>();
  for (const zone of Object.values(live)) {
    for (const src of zone.sources) seen.set(src.sensor_id, { stale: src.stale, age: src.age_seconds });
  }
  let stale = 0;
  let oldest: number | null = null;
  for (const { stale: isStale, age } of seen.values()) {
    if (isStale) stale += 1;
    if (age !== null && (oldest === null || age > oldest)) oldest = age;
  }
  return { total: seen.size, stale, oldest };
}

export function renderSourcesPanel(
  element: HTMLElement, statuses: SourceStatus[] | null, live: Record<string, ZoneState>, error: string | null,
): void {
  const sensors = sensorSummary(live);
  refill(
    element,
    h('h2', { tabindex: -1, 'data-key': 'sources-heading' }, 'Sources'),
    h('ul', { class: 'source-list' },
      h('li', { class: sensors.stale ? 'status-stale' : 'status-ok', 'data-source': 'counting-sensors' },
        h('span', { class: 'dot' }), h('strong', {}, 'Counting sensors'),
        h('span', { class: 'status' }, sensors.stale ? `${sensors.stale} of ${sensors.total} stale` : `${sensors.total} reporting`),
        h('div', { class: 'summary' }, `oldest data ${formatAge(sensors.oldest)}`)),
      ...(statuses ?? []).map((src) => h('li', { class: `status-${src.status}`, 'data-source': src.name },
        h('span', { class: 'dot' }), h('strong', {}, src.name),
        h('span', { class: 'status' }, `${src.status} · ${formatAge(src.age_seconds)}`),
        // The error once, in plain words; the raw message for the technician as a tooltip.
        h('div', { class: 'summary' }, `${src.kind.replace(/_/g, ' ')}: ${src.summary}`),
        src.last_error ? h('div', { class: 'error', title: src.last_error, 'data-field': 'plain-error' },
          plainError(src.last_error)) : null)),
    ),
    error ? h('p', { class: 'error' }, error) : null,
    disruptionsSection(),
  );
}
