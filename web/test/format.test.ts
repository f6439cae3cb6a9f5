import { describe, expect, it } from 'vitest';
import {
  ageSeconds, formatAge, formatClock, formatCount, formatDateTime, formatDensity, formatLeadTime, formatOffset,
  formatPercent, formatProbability,
} from '../src/format';

describe('format', () => {
  it('formats counts, densities and shares, with a dash for missing values', () => {
    expect(formatCount(12345.4)).toBe('12,345');
    expect(formatCount(null)).toBe('–');
    expect(formatDensity(1.234)).toBe('1.23 p/m²');
    expect(formatDensity(undefined)).toBe('–');
    expect(formatPercent(0.876)).toBe('88%');
    expect(formatProbability(0.5)).toBe('50%');
  });

  it('says how old data is in words an operator reads at a glance', () => {
    expect(formatAge(2)).toBe('just now');
    expect(formatAge(45)).toBe('45 s');
    expect(formatAge(12 * 60 + 5)).toBe('12 min');
    expect(formatAge(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(formatAge(2 * 3600)).toBe('2 h');
    expect(formatAge(3 * 86400)).toBe('3 d');
    expect(formatAge(null)).toBe('never');
    expect(ageSeconds('2026-07-18T10:00:00Z', Date.parse('2026-07-18T10:01:30Z'))).toBe(90);
    expect(ageSeconds(null, 0)).toBeNull();
  });

  it('shows times in the site time zone, across daylight saving time', () => {
    const summer = Date.parse('2026-07-18T10:00:00Z');
    const winter = Date.parse('2026-01-17T10:00:00Z');
    expect(formatClock(summer, 'Europe/Amsterdam')).toBe('12:00');
    expect(formatClock(winter, 'Europe/Amsterdam')).toBe('11:00');
    expect(formatDateTime(summer, 'Europe/Amsterdam')).toBe('Sat 18 Jul 12:00');
  });

  it('labels slider offsets and lead times', () => {
    expect(formatOffset(0)).toBe('now');
    expect(formatOffset(-135 * 60_000)).toBe('−2 h 15 min');
    expect(formatOffset(45 * 60_000)).toBe('+45 min');
    expect(formatOffset(2 * 3_600_000)).toBe('+2 h');
    expect(formatLeadTime(0)).toBe('now');
    expect(formatLeadTime(90)).toBe('1 h 30 min');
  });
});
