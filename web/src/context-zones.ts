/** Zones outside an organiser's scope, drawn as flat grey context without numbers or levels, so
 * the event's zones are seen in their surroundings. The API sends only outlines and names. */

import type { ZoneRenderFeature } from './mapdata';
import type { RoleView } from './types-control';
import type { ZoneFeature } from './types';

export const CONTEXT_COLOUR = '#3d4652';

export function contextFeatures(view: RoleView | null): ZoneRenderFeature[] {
  return (view?.context.features ?? []).map((f) => ({
    type: 'Feature', id: f.id, geometry: f.geometry as ZoneFeature['geometry'],
    properties: {
      id: f.id, name: `${f.properties.name} (outside your scope)`, level: 'context', colour: CONTEXT_COLOUR, height: 1,
      stale: false, forecast: false, selected: false, p90Height: 0, p90Colour: CONTEXT_COLOUR,
    },
  }));
}
