/** Transit service disruptions (GTFS-Realtime Alerts of the site's stops and lines), shown inside
 * the sources panel. Self-contained: it reads GET .../disruptions itself every 30 s and keeps
 * one element per site, so the panel that hosts it only has to place `disruptionsSection()`. */

import { getJson, siteUrl } from '../api';
import { h, fill } from '../dom';
import { store } from '../context';

export interface Disruption {
  id: string;
  cause: string;
  effect: string;
  removes_service: boolean;
  header: string;
  description: string;
  url: string | null;
  routes: string[];
  stops: string[];
  start: string | null;
  end: string | null;
  zones: string[];
}

interface DisruptionsAnswer { site: string; as_of: string; disruptions: Disruption[] }

const REFRESH_MS = 30_000;  // like the sources list
const sections = new Map<string, HTMLElement>();

function label(code: string): string {
  return code.replace(/_/g, ' ').toLowerCase();
}

function until(end: string | null): string {
  return end ? `until ${new Date(end).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}` : 'no end given';
}

export function renderDisruptions(element: HTMLElement, answer: DisruptionsAnswer | null, error: string | null): void {
  const items = answer?.disruptions ?? [];
  fill(
    element,
    h('h3', {}, 'Transit disruptions ', h('span', { class: items.length ? 'count' : 'muted' }, String(items.length))),
    error ? h('p', { class: 'error' }, error) : null,
    !error && answer && !items.length ? h('p', { class: 'muted' }, 'No disruption on the lines serving this site.') : null,
    items.length ? h('ul', { class: 'disruption-list' }, ...items.map((d) =>
      h('li', { class: d.removes_service ? 'removes-service' : '', 'data-disruption': d.id },
        h('strong', {}, d.header || label(d.effect)),
        h('div', { class: 'summary' },
          `${label(d.effect)} · ${label(d.cause)} · lines ${d.routes.join(', ') || '—'} · ${until(d.end)}`),
        d.zones.length ? h('div', { class: 'zones' }, `zones: ${d.zones.join(', ')}`) : null))) : null,
  );
}

async function refresh(site: string, element: HTMLElement): Promise<void> {
  try {
    renderDisruptions(element, await getJson<DisruptionsAnswer>(siteUrl(site, '/disruptions')), null);
  } catch (error) {
    renderDisruptions(element, null, `Disruptions unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The disruptions block of the current site (created and polled on first use). */
export function disruptionsSection(): HTMLElement | null {
  const site = store.state.site?.id;
  if (!site) return null;
  let element = sections.get(site);
  if (!element) {
    element = h('section', { class: 'disruptions', id: 'disruptions' });
    sections.set(site, element);
    const target = element;
    void refresh(site, target);
    window.setInterval(() => void refresh(site, target), REFRESH_MS);
  }
  return element;
}
