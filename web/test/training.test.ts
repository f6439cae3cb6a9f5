import { describe, expect, it } from 'vitest';

import { leadText, sessionTime } from '../src/training-format';

describe('training times and lead times', () => {
  it('shows the session clock in the site zone, not the browser one', () => {
    expect(sessionTime('2026-07-18T12:07:00+00:00', 'Europe/Amsterdam')).toBe('14:07');
    expect(sessionTime('2026-07-18T12:07:00+00:00', 'UTC')).toBe('12:07');
    expect(sessionTime(null, 'Europe/Amsterdam')).toBe('–');
  });

  it('signs lead times: ahead is +, late is −, none is a dash', () => {
    expect(leadText(2)).toBe('+2 min');
    expect(leadText(-1)).toBe('−1 min');
    expect(leadText(0.25)).toBe('+0.3 min');
    expect(leadText(12.4)).toBe('+12 min');
    expect(leadText(0)).toBe('0 min');
    expect(leadText(null)).toBe('–');
  });
});
