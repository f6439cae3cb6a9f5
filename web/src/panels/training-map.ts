/** The sandbox's zones on the site's 3D city map (the live dashboard's map, web/src/sitemap.ts),
 * coloured by the session's levels — never live data. Built once per session; each poll of the
 * session's zone state redraws the levels. A click on a zone brings its row in the table into view. */

import { getJson, siteUrl } from '../api';
import { message } from '../context';
import { h } from '../dom';
import type { CrowdMap } from '../map';
import type { BasemapInfo } from '../map/basemap';
import { EMERGENCY_ROLES } from '../map/emergency';
import { zonesForMap } from '../mapdata';
import { siteMap } from '../sitemap';
import { liveFrame, type ZoneFrame } from '../timeline';
import type { TrainingState } from '../training';
import type { SiteSummary } from '../types';

interface Shown {
  session: string;
  container: HTMLElement;
  map: Promise<CrowdMap>;
}

let shown: Shown | null = null;

/** Draw the session's levels on the map in `container` (made on first use for this session). */
export function drawSandboxMap(container: HTMLElement, state: TrainingState, onSelect: (zoneId: string) => void): void {
  const session = state.session;
  if (!session || !state.features.length) return;
  if (!shown || shown.session !== session.id || shown.container !== container) {
    // The view was rebuilt (another tab, another session): free the old map's WebGL context.
    void shown?.map.then((old) => old.map.remove(), () => undefined);
    shown = { session: session.id, container, map: makeMap(container, state, session.site, onSelect) };
  }
  const frames: Record<string, ZoneFrame> = {};
  const levels: Record<string, string> = {};
  for (const zone of state.zones?.zones ?? []) {
    frames[zone.zone_id] = liveFrame(zone);
    levels[zone.zone_id] = zone.level;
  }
  void shown.map.then((map) => {
    map.setZones(zonesForMap(state.features, frames, null, map.heightScale).features);
    container.dataset.levels = JSON.stringify(levels); // what the map shows, for tests
  }, (error: unknown) => {
    // The table beside it still holds every zone's level.
    container.replaceChildren(h('p', { class: 'muted' }, `The map could not load: ${message(error)}`));
  });
}

async function makeMap(container: HTMLElement, state: TrainingState, siteId: string,
  onSelect: (zoneId: string) => void): Promise<CrowdMap> {
  const [site, basemap] = await Promise.all([
    getJson<SiteSummary>(siteUrl(siteId)),
    getJson<BasemapInfo>(siteUrl(siteId, '/basemap')),
  ]);
  const map = siteMap({
    container, site, zones: state.features, basemap,
    emergency: EMERGENCY_ROLES.has(state.me.role ?? ''),
    routes: false, // access routes follow the live advice: not the sandbox's
    onSelect: (zoneId) => { if (zoneId) onSelect(zoneId); },
  });
  let idle = 0;
  map.map.on('idle', () => { // drawn with its zones: for tests and screenshots, as on the live page
    if (map.hasZones()) container.dataset.mapIdle = String(++idle);
  });
  return map;
}
