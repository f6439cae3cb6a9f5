import { describe, expect, it } from 'vitest';

import { LEVEL_COLOURS } from '../src/levels';
import {
  adviceAt, levelChanges, levelTally, mostChangedSlot, scenarioFeatures, slotCount, type ScenarioRun, type ScenarioSlot,
} from '../src/map/scenario';
import { composeScenario, problemLines } from '../src/panels/scenario-compose';
import { parseShare, shareHash, shareUrl } from '../src/panels/scenario-link';
import { reportUrl, siteToday } from '../src/panels/report';
import type { Level, ZoneFeature } from '../src/types';

const zone = (id: string): ZoneFeature => ({
  type: 'Feature', id,
  geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] },
  properties: { id, name: id.toUpperCase(), walkable_area_m2: 100, capacity: 500, kind: 'square', group: null,
    thresholds: { yellow: 0.5, orange: 1, red: 2 } },
});

const point = (p50: number, level: Level) => ({ p10: p50 * 0.8, p50, p90: p50 * 1.2, density: p50 / 100, level });
const slot = (hhmm: string, base: [number, Level], scn: [number, Level]): ScenarioSlot => ({
  ts: `2026-07-18T${hhmm}:00+02:00`, local: hhmm, baseline: point(...base), scenario: point(...scn),
});

// Square: busier in the scenario from 20:15 (red at 20:30); beach: the same all day.
const run: ScenarioRun = {
  id: 'abc123', name: 'Event', site: 's', date: '2026-07-18', timezone: 'Europe/Amsterdam', baseline_source: 'demo',
  changes: ['event: 10,000 visitors at square'], step_minutes: 15, ran_at: '2026-07-18T08:00:00+00:00',
  zones: [
    { zone_id: 'square', name: 'Square', estimated: false, measures: ['police'],
      baseline_peak: { level: 'yellow', level_at: '20:00', p50: 60, p50_at: '20:00' },
      scenario_peak: { level: 'red', level_at: '20:30', p50: 250, p50_at: '20:30' },
      series: [slot('20:00', [60, 'yellow'], [60, 'yellow']), slot('20:15', [55, 'yellow'], [150, 'orange']),
        slot('20:30', [50, 'yellow'], [250, 'red'])] },
    { zone_id: 'beach', name: 'Beach', estimated: true, measures: [],
      baseline_peak: { level: 'green', level_at: '20:00', p50: 10, p50_at: '20:00' },
      scenario_peak: { level: 'green', level_at: '20:00', p50: 10, p50_at: '20:00' },
      series: [slot('20:00', [10, 'green'], [10, 'green']), slot('20:15', [10, 'green'], [10, 'green']),
        slot('20:30', [10, 'green'], [12, 'green'])] },
  ],
  advice: {
    baseline: [],
    scenario: [
      { measure_id: 'hosts', measure: 'Hosts', owner: 'municipality', level: 'orange', zone_id: 'square', zones: ['square'],
        start_by: '2026-07-18T20:00:00+02:00', expected_at: '2026-07-18T20:15:00+02:00', probability: 0.9, reason: 'r', new: true },
      { measure_id: 'police', measure: 'Police', owner: 'police', level: 'red', zone_id: 'square', zones: ['square'],
        start_by: '2026-07-18T20:20:00+02:00', expected_at: '2026-07-18T20:30:00+02:00', probability: 0.8, reason: 'r', new: true },
    ],
  },
};

describe('a scenario run on the map', () => {
  it('draws baseline and scenario in their own colours at a slot', () => {
    const zones = [zone('square'), zone('beach'), zone('pier')];
    const scn = scenarioFeatures(zones, run, 2, 'scenario', null);
    const base = scenarioFeatures(zones, run, 2, 'baseline', null);
    expect(scn.map((f) => f.properties.level)).toEqual(['red', 'green', 'unknown']);
    expect(base.map((f) => f.properties.level)).toEqual(['yellow', 'green', 'unknown']);
    expect(scn[0]!.properties.colour).toBe(LEVEL_COLOURS.red);
    expect(scn[0]!.properties.height).toBeGreaterThan(base[0]!.properties.height);
    expect(scn.every((f) => !f.properties.forecast && !f.properties.stale)).toBe(true);
  });

  it('lists the zones whose level the scenario changes, and none where it does not', () => {
    expect(levelChanges(run, 0)).toEqual([]);
    expect(levelChanges(run, 1)).toEqual([{ zone: 'square', name: 'Square', baseline: 'yellow', scenario: 'orange' }]);
    expect(levelChanges(run, 99)[0]?.scenario).toBe('red'); // clamped to the last slot
  });

  it('opens at the moment the scenario differs most', () => {
    expect(slotCount(run)).toBe(3);
    expect(mostChangedSlot(run)).toBe(2);
  });

  it('splits the advice at the slot: started by then, or later', () => {
    expect(adviceAt(run, 0).due.map((a) => a.measure_id)).toEqual(['hosts']);
    expect(adviceAt(run, 0).later.map((a) => a.measure_id)).toEqual(['police']);
    expect(adviceAt(run, 2).due).toHaveLength(2);
  });

  it('counts zones per level on each side', () => {
    expect(levelTally(run, 2, 'scenario')).toMatchObject({ red: 1, green: 1, yellow: 0 });
    expect(levelTally(run, 2, 'baseline')).toMatchObject({ yellow: 1, green: 1, red: 0 });
  });
});

describe('composing a scenario', () => {
  const base = { name: 'Concert', date: '2026-08-01' };
  it('builds the API document from the chosen changes', () => {
    const { document, problems } = composeScenario({
      ...base, event: { zone: 'square', visitors: 12000, start: '20:00', end: '23:00' },
      closedRoute: { from: 'a', to: 'b', reason: ' works ' }, heat: { temperature: 31 },
    });
    expect(problems).toEqual([]);
    expect(document).toEqual({ name: 'Concert', date: '2026-08-01', baseline: 'auto', changes: [
      { kind: 'event', name: 'Concert', zone: 'square', visitors: 12000, start: '20:00', end: '23:00' },
      { kind: 'closed_route', between: ['a', 'b'], reason: 'works' },
      { kind: 'heat_wave', temperature_c: 31 },
    ] });
    const tram = composeScenario({ ...base, tramOutage: { line: '1', stop: 'stop', start: '13:00', end: '18:00' },
      garageFull: { garage: 'kurhaus', start: '12:00', end: '19:00' } });
    expect(tram.document?.changes).toEqual([
      { kind: 'tram_outage', line: '1', stops: ['stop'], start: '13:00', end: '18:00' },
      { kind: 'garage_full', garage: 'kurhaus', start: '12:00', end: '19:00' },
    ]);
  });

  it('refuses a scenario without changes, a bad count, reversed times and a route to itself', () => {
    expect(composeScenario({ ...base }).problems).toEqual([expect.stringContaining('at least one change')]);
    const bad = composeScenario({ name: ' ', date: 'soon', event: { zone: 'x', visitors: 2.5, start: '20:00', end: '20:00' },
      tramOutage: { line: '1', stop: 's', start: '18:00', end: '13:00' }, closedRoute: { from: 'a', to: 'a' },
      heat: { temperature: 80 } });
    expect(bad.document).toBeNull();
    expect(bad.problems).toHaveLength(7);
  });

  it('reads the API’s problem list, and nothing from a body without one', () => {
    expect(problemLines({ problems: [{ path: 'changes.0.zone', message: 'unknown zone' }] })).toEqual(['changes.0.zone: unknown zone']);
    expect(problemLines('<html>')).toEqual([]);
  });
});

describe('share links and the report', () => {
  it('round-trips a run id and refuses anything else', () => {
    expect(parseShare(shareHash({ kind: 'scenario', id: 'abc123' }))).toEqual({ kind: 'scenario', id: 'abc123' });
    expect(parseShare('#simulation=f00')).toEqual({ kind: 'simulation', id: 'f00' });
    expect(parseShare('#scenario=%3Cscript%3E')).toBeNull();
    expect(parseShare('#other=1')).toBeNull();
    expect(shareUrl({ origin: 'https://x', pathname: '/', search: '?site=s' }, { kind: 'scenario', id: 'a' }))
      .toBe('https://x/?site=s#scenario=a');
  });

  it('links the report of a day and refuses a non-date', () => {
    expect(reportUrl('scheveningen', '2026-07-18', 'pdf')).toBe('/api/v1/sites/scheveningen/export/report?date=2026-07-18&format=pdf');
    expect(reportUrl('s', '18-07-2026', 'html')).toBeNull();
    expect(siteToday('Europe/Amsterdam', new Date('2026-07-18T22:30:00Z'))).toBe('2026-07-19');
  });
});
