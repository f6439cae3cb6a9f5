/** The 3D city map of a site: the zones on the basemap with the site's buildings and path network
 * around them. The live dashboard and the training sandbox draw the same map, so a trainee learns
 * the picture they will use (only the levels drawn on it differ: live or the session's). */

import { siteUrl } from './api';
import { CrowdMap, type CrowdMapOptions } from './map';

export function siteMap(options: CrowdMapOptions): CrowdMap {
  const map = new CrowdMap(options);
  const { site } = options;
  const layers = site.layers ?? [];
  // URLs, not data: MapLibre's worker fetches and parses them (5,000 buildings stay off this thread).
  void map.addContext(
    layers.includes('buildings') ? siteUrl(site.id, '/layers/buildings') : null,
    layers.includes('network') ? siteUrl(site.id, '/layers/network') : null,
  );
  return map;
}
