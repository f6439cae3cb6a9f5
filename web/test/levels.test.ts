import { describe, expect, it } from 'vitest';
import { extrusionHeight, LEVEL_COLOURS, levelForDensity, levelRank, legendFor } from '../src/levels';

const FRUIN = { yellow: 0.43, orange: 1.11, red: 2.0 };

describe('levelForDensity', () => {
  it('follows the thresholds at their lower bounds', () => {
    expect(levelForDensity(0.2, FRUIN)).toBe('green');
    expect(levelForDensity(0.43, FRUIN)).toBe('yellow');
    expect(levelForDensity(1.1, FRUIN)).toBe('yellow');
    expect(levelForDensity(1.11, FRUIN)).toBe('orange');
    expect(levelForDensity(2.0, FRUIN)).toBe('red');
  });

  it('is red at capacity whatever the density, and unknown without data', () => {
    expect(levelForDensity(0.5, FRUIN, 1000, 1000)).toBe('red');
    expect(levelForDensity(0.5, FRUIN, 999, 1000)).toBe('yellow');
    expect(levelForDensity(null, FRUIN)).toBe('unknown');
    expect(levelForDensity(Number.NaN, FRUIN)).toBe('unknown');
  });
});

describe('colours and legend', () => {
  it('gives every level a distinct colour and orders them', () => {
    expect(new Set(Object.values(LEVEL_COLOURS)).size).toBe(5);
    expect(levelRank('red')).toBeGreaterThan(levelRank('orange'));
    expect(levelRank('unknown')).toBeLessThan(levelRank('green'));
  });

  it('builds legend ranges from a zone\'s own thresholds', () => {
    const rows = legendFor({ yellow: 0.2, orange: 0.5, red: 1.0 });
    expect(rows.map((r) => [r.level, r.density_from, r.density_to])).toEqual([
      ['green', 0, 0.2], ['yellow', 0.2, 0.5], ['orange', 0.5, 1.0], ['red', 1.0, null],
    ]);
  });
});

describe('extrusionHeight', () => {
  it('rises with density, caps overfull zones and lays unknown zones flat', () => {
    const low = extrusionHeight(0.2, FRUIN);
    const high = extrusionHeight(1.9, FRUIN);
    expect(high).toBeGreaterThan(low);
    expect(extrusionHeight(10, FRUIN)).toBe(extrusionHeight(3, FRUIN));
    expect(extrusionHeight(null, FRUIN)).toBeLessThan(low);
  });
});

describe('alerts panel order', () => {
  it('puts the most severe open alerts first and keeps the newest first within a level', async () => {
    const { alertsInOrder } = await import('../src/roleview');
    const openBySeverity = (alerts: import('../src/types').Alert[]) => alertsInOrder(alerts, null);
    const alert = (id: string, level: 'yellow' | 'orange' | 'red', status = 'raised') => ({
      id, zone_id: 'z', level, kind: 'level_change', status, raised_at: '', message: '', expected_at: null,
      probability: null, acknowledged_by: null, acknowledged_at: null,
    }) as import('../src/types').Alert;
    const ordered = openBySeverity([
      alert('y-new', 'yellow'), alert('r-old-resolved', 'red', 'resolved'), alert('o', 'orange'),
      alert('y-old', 'yellow'), alert('r', 'red', 'acknowledged'),
    ]);
    expect(ordered.map((a) => a.id)).toEqual(['r', 'o', 'y-new', 'y-old']);
  });
});
