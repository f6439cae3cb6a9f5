import { describe, expect, it } from 'vitest';
import { framesAt, zonesForMap } from '../src/mapdata';
import {
  applyStream, can, initialState, levelCounts, mergeHistory, select, setCursor, setError, Store, type DashboardState,
} from '../src/store';
import { ServerClock } from '../src/clock';
import { LEVEL_COLOURS } from '../src/levels';
import type { ZoneFeature, ZoneState } from '../src/types';

const T0 = Date.parse('2026-07-18T10:00:00Z');

function zone(id: string): ZoneFeature {
  return {
    type: 'Feature', id,
    geometry: { type: 'Polygon', coordinates: [[[4.27, 52.11], [4.271, 52.11], [4.271, 52.111], [4.27, 52.11]]] },
    properties: {
      id, name: id.toUpperCase(), walkable_area_m2: 1000, capacity: 2000, kind: 'area', group: null,
      thresholds: { yellow: 0.43, orange: 1.11, red: 2.0 },
    },
  };
}

function state(id: string, occupancy: number, level: ZoneState['level'], stale = false): ZoneState {
  return {
    zone_id: id, name: id, occupancy, density_per_m2: occupancy / 1000, level, capacity: 2000,
    walkable_area_m2: 1000, utilisation: occupancy / 2000, stale, as_of: new Date(T0).toISOString(),
    last_data_at: null, sources: [],
  };
}

const base: DashboardState = { ...initialState, zones: [zone('plein'), zone('pier')] };

describe('live stream', () => {
  it('takes a snapshot, then applies updates to the zones that changed', () => {
    let s = applyStream(base, { type: 'snapshot', as_of: '2026-07-18T10:00:00Z',
      zones: [state('plein', 100, 'green'), state('pier', 200, 'green')] });
    expect(s.connection).toBe('live');
    s = applyStream(s, { type: 'update', as_of: '2026-07-18T10:01:00Z', zones: [state('pier', 2500, 'red')] });
    expect(s.live.pier?.level).toBe('red');
    expect(s.live.plein?.level).toBe('green');
    expect(s.asOf).toBe(T0 + 60_000);
  });

  it('drops zones a new snapshot no longer has, and never moves time back on an update', () => {
    let s = applyStream(base, { type: 'snapshot', as_of: '2026-07-18T10:05:00Z', zones: [state('plein', 1, 'green')] });
    s = applyStream(s, { type: 'update', as_of: '2026-07-18T10:01:00Z', zones: [] });
    expect(s.asOf).toBe(T0 + 5 * 60_000);
    s = applyStream(s, { type: 'snapshot', as_of: '2026-07-18T10:00:00Z', zones: [state('pier', 1, 'green')] });
    expect(Object.keys(s.live)).toEqual(['pier']);
    expect(s.asOf).toBe(T0);
  });
});

describe('selection, cursor, history', () => {
  it('selects known zones only', () => {
    expect(select(base, 'pier').selected).toBe('pier');
    expect(select(base, 'nowhere')).toBe(base);
    expect(select(select(base, 'pier'), null).selected).toBeNull();
  });

  it('goes back to live when the cursor reaches now', () => {
    const moved = setCursor({ ...base, playing: true }, T0 - 60_000, T0);
    expect(moved.cursor).toBe(T0 - 60_000);
    expect(moved.playing).toBe(true);
    const back = setCursor(moved, T0, T0);
    expect(back.cursor).toBeNull();
    expect(back.playing).toBe(false);
  });

  it('merges newly fetched history without duplicates, in time order', () => {
    const p = (ts: string, occupancy: number) => ({ ts, occupancy, density: 0, level: 'green' as const, stale: false });
    const merged = mergeHistory(
      { plein: [p('2026-07-18T10:00:00Z', 1), p('2026-07-18T10:05:00Z', 2)] },
      { plein: [p('2026-07-18T10:05:00Z', 3), p('2026-07-18T09:55:00Z', 0)], pier: [p('2026-07-18T10:00:00Z', 9)] },
    );
    expect(merged.plein?.map((x) => x.occupancy)).toEqual([0, 1, 3]);
    expect(merged.pier).toHaveLength(1);
  });

  it('keeps the last failed read per panel until one succeeds', () => {
    const failed = setError(base, 'alerts', 'Alerts unavailable: 503');
    expect(failed.errors).toEqual({ sources: null, alerts: 'Alerts unavailable: 503', log: null });
    expect(setError(failed, 'alerts', 'Alerts unavailable: 503')).toBe(failed);
    expect(setError(failed, 'alerts', null).errors.alerts).toBeNull();
  });

  it('counts levels and stale zones, and reads permissions', () => {
    const counts = levelCounts({ a: state('a', 1, 'red', true), b: state('b', 1, 'red'), c: state('c', 1, 'green') });
    expect(counts).toMatchObject({ red: 2, green: 1, stale: 1, orange: 0 });
    expect(can({ ...base, me: { username: 'x', role: 'viewer', kind: 'user', sites: ['*'], zones: {}, permissions: ['view_picture'] } }, 'view_alerts'))
      .toBe(false);
  });
});

describe('map data', () => {
  it('colours, raises and marks zones from the live picture', () => {
    const s = applyStream(base, { type: 'snapshot', as_of: '2026-07-18T10:00:00Z',
      zones: [state('plein', 2100, 'red'), state('pier', 100, 'green', true)] });
    const fc = zonesForMap(s.zones, framesAt(s, T0), 'pier');
    const [plein, pier] = fc.features;
    expect(plein?.properties).toMatchObject({ level: 'red', colour: LEVEL_COLOURS.red, stale: false, selected: false });
    expect(pier?.properties).toMatchObject({ level: 'green', stale: true, selected: true });
    expect(plein!.properties.height).toBeGreaterThan(pier!.properties.height);
  });

  it('shows the forecast with its p90 hull when the cursor is ahead', () => {
    let s = applyStream(base, { type: 'snapshot', as_of: '2026-07-18T10:00:00Z', zones: [state('plein', 500, 'yellow')] });
    s = { ...s, cursor: T0 + 15 * 60_000, forecast: { site: 'x', issued_at: null, step: '15min', zones: {
      plein: [{ ts: '2026-07-18T10:15:00Z', p10: 900, p50: 1200, p90: 2100, density_p50: 1.2, level: 'orange',
        level_p90: 'red' }],
    } } };
    const fc = zonesForMap(s.zones, framesAt(s, T0), null);
    expect(fc.features[0]?.properties).toMatchObject({ level: 'orange', forecast: true, p90Colour: LEVEL_COLOURS.red });
    expect(fc.features[0]!.properties.p90Height).toBeGreaterThan(fc.features[0]!.properties.height);
    expect(fc.features[1]?.properties.level).toBe('unknown');
  });
});

describe('Store and ServerClock', () => {
  it('notifies subscribers of changes only', () => {
    const store = new Store(base);
    const seen: (string | null)[] = [];
    const stop = store.subscribe((s) => seen.push(s.selected));
    store.update((s) => select(s, 'pier'));
    store.update((s) => s);
    stop();
    store.update((s) => select(s, 'plein'));
    expect(seen).toEqual(['pier']);
    expect(store.state.selected).toBe('plein');
  });

  it('extrapolates a simulated server clock at its own rate', () => {
    const clock = new ServerClock();
    expect(clock.now(0)).toBeNull();
    clock.observe(T0, 1_000_000);
    expect(clock.now(1_000_500)).toBe(T0 + 500);
    clock.observe(T0 + 60_000 * 10, 1_010_000); // 60× speed
    expect(clock.rate()).toBeCloseTo(60);
    expect(clock.now(1_011_000)).toBe(T0 + 660_000);
    clock.observe(T0 - 1000, 1_012_000); // replay restarted
    expect(clock.rate()).toBe(1);
  });
});

describe('height scale', () => {
  it('grows with the extent of the site and stays within bounds', async () => {
    const { heightScaleFor } = await import('../src/mapdata');
    const small = heightScaleFor([4.27, 52.11, 4.273, 52.112]);
    const large = heightScaleFor([4.25, 52.09, 4.30, 52.13]);
    expect(large).toBeGreaterThan(small);
    expect(heightScaleFor([0, 0, 90, 60])).toBe(8);
    expect(heightScaleFor(null)).toBe(1);
  });
});
