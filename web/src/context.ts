/** What the page's parts share: the store, the server's clock and the map once it is made. */

import { ApiError } from './api';
import { ServerClock } from './clock';
import type { CrowdMap } from './map';
import { Store, type DashboardState } from './store';
import { forecastEnds, timeDomain, type TimeDomain } from './timeline';

export const store = new Store();
export const clock = new ServerClock();
/** The map once made, and an element to focus after the next render (what was just opened). */
export const view: { map: CrowdMap | null; focusAfterRender: string | null } = { map: null, focusAfterRender: null };

/** How far the slider and the zone chart reach into the (48 h) forecast. */
export const FORECAST_HOURS = 12;
export const CHART_AHEAD_HOURS = 6;

/** The server's now: the newest live picture or the clock estimated from /api/v1/time. */
export function nowMs(): number | null {
  const estimated = clock.now(Date.now());
  const asOf = store.state.asOf;
  if (estimated === null) return asOf;
  return asOf === null ? estimated : Math.max(asOf, estimated);
}

export function domain(state: DashboardState): TimeDomain | null {
  const now = nowMs();
  if (now === null) return null;
  return timeDomain(now, state.historyHours, forecastEnds(state.forecast?.zones), FORECAST_HOURS);
}

export function message(error: unknown): string {
  return error instanceof ApiError ? `${error.status}: ${error.message}` : String(error);
}
