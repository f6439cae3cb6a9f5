/** The dashboard's state and the pure steps that change it. Rendering subscribes to the store;
 * nothing else writes to it, so the state can be tested without a browser. */

import type {
  AdviceAnswer, AlertsAnswer, ForecastAnswer, HistoryPoint, Me, SiteSummary, SourceStatus, StreamMessage,
  ZoneFeature, ZoneState,
} from './types';
import type { IncidentLog, RoleView } from './types-control';

/** The side column's tabs (drawers on a phone). */
export type SideTab = 'alerts' | 'advice' | 'sources' | 'log';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface DashboardState {
  site: SiteSummary | null;
  me: Me | null;
  zones: ZoneFeature[];
  live: Record<string, ZoneState>;
  /** Server time of the newest live picture. */
  asOf: number | null;
  connection: Connection;
  history: Record<string, HistoryPoint[]>;
  historyHours: number;
  forecast: ForecastAnswer | null;
  /** The slider's moment; null follows now (live). */
  cursor: number | null;
  playing: boolean;
  selected: string | null;
  sources: SourceStatus[] | null;
  alerts: AlertsAnswer | null;
  advice: AdviceAnswer | null;
  /** The last failed read of each panel, shown in the panel until a read succeeds. */
  errors: { sources: string | null; alerts: string | null; log: string | null };
  /** The caller's role view (owner it acts for, context outlines); null until read. */
  view: RoleView | null;
  incidents: IncidentLog | null;
  tab: SideTab;
  /** Phone and tablet: whether the bottom sheet is pulled up. */
  sheetOpen: boolean;
}

export const initialState: DashboardState = {
  site: null, me: null, zones: [], live: {}, asOf: null, connection: 'connecting', history: {}, historyHours: 6,
  forecast: null, cursor: null, playing: false, selected: null, sources: null, alerts: null, advice: null,
  errors: { sources: null, alerts: null, log: null },
  view: null, incidents: null, tab: 'alerts', sheetOpen: false,
};

/** A snapshot replaces the live picture (after a reconnect zones may have gone). */
export function applyStream(state: DashboardState, message: StreamMessage): DashboardState {
  const live = message.type === 'snapshot' ? {} : { ...state.live };
  for (const zone of message.zones) live[zone.zone_id] = zone;
  const stamped = message.as_of ? Date.parse(message.as_of) : null;
  // A snapshot may move the clock back (a replay restarted); updates only move it forward.
  const asOf = message.type === 'snapshot' ? stamped ?? state.asOf : Math.max(stamped ?? 0, state.asOf ?? 0) || null;
  return { ...state, live, asOf, connection: 'live' };
}

/** The REST snapshot (GET zones/state), used before the stream connects and as its fallback. */
export function applyStates(state: DashboardState, asOf: string | null, zones: ZoneState[]): DashboardState {
  return applyStream(state, { type: 'snapshot', as_of: asOf, zones });
}

/** Append newly recorded history (from a later fetch), keeping one point per zone and moment. */
export function mergeHistory(
  current: Record<string, HistoryPoint[]>, incoming: Record<string, HistoryPoint[]>,
): Record<string, HistoryPoint[]> {
  const merged: Record<string, HistoryPoint[]> = { ...current };
  for (const [zone, points] of Object.entries(incoming)) {
    const byTs = new Map((merged[zone] ?? []).map((p) => [Date.parse(p.ts), p]));
    for (const p of points) byTs.set(Date.parse(p.ts), p);
    merged[zone] = [...byTs.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  }
  return merged;
}

export function select(state: DashboardState, zoneId: string | null): DashboardState {
  if (zoneId !== null && !state.zones.some((z) => z.id === zoneId)) return state;
  return { ...state, selected: zoneId };
}

/** Move the slider; a moment at or after now (and no forecast ahead) means back to live. */
export function setCursor(state: DashboardState, cursor: number | null, nowMs: number | null): DashboardState {
  const live = cursor === null || (nowMs !== null && cursor === nowMs);
  return { ...state, cursor: live ? null : cursor, playing: live ? false : state.playing };
}

export function can(state: DashboardState, permission: string): boolean {
  return state.me?.permissions.includes(permission) ?? false;
}

/** Counts for the header: how many zones are at each level, and how many are stale; given the
 * frames at the slider's moment, the header follows the slider. */
export function levelCounts(live: Record<string, { level: string; stale: boolean }>): Record<string, number> {
  const counts: Record<string, number> = { green: 0, yellow: 0, orange: 0, red: 0, unknown: 0, stale: 0 };
  for (const zone of Object.values(live)) {
    counts[zone.level] = (counts[zone.level] ?? 0) + 1;
    if (zone.stale) counts.stale = (counts.stale ?? 0) + 1;
  }
  return counts;
}

type Listener = (state: DashboardState, previous: DashboardState) => void;

/** A minimal observable: `update` applies a pure step and notifies the renderers. */
export class Store {
  private listeners: Listener[] = [];

  constructor(private current: DashboardState = initialState) {}

  get state(): DashboardState {
    return this.current;
  }

  update(step: (state: DashboardState) => DashboardState): void {
    const previous = this.current;
    const next = step(previous);
    if (next === previous) return;
    this.current = next;
    for (const listener of this.listeners) listener(next, previous);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}

export function setError(state: DashboardState, panel: 'sources' | 'alerts' | 'log', error: string | null): DashboardState {
  if (state.errors[panel] === error) return state;
  return { ...state, errors: { ...state.errors, [panel]: error } };
}
