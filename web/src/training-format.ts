/** Times of a training session, shown in the site's zone (the session's clock is simulated). */

import { h } from './dom';
import { LEVEL_COLOURS, LEVEL_TEXT_COLOURS, levelMark } from './levels';
import type { Level } from './types';

export function sessionTime(iso: string | null | undefined, timeZone: string, withDate = false): string {
  if (!iso) return '–';
  const options: Intl.DateTimeFormatOptions = { timeZone, hour: '2-digit', minute: '2-digit', hour12: false };
  if (withDate) Object.assign(options, { weekday: 'short', day: 'numeric', month: 'short' });
  return new Intl.DateTimeFormat('en-GB', options).format(new Date(iso));
}

/** "+4.5 min" ahead, "−2 min" late, "–" none. */
export function leadText(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '–';
  const shown = Math.abs(minutes) >= 10 ? Math.round(minutes) : Math.round(minutes * 10) / 10;
  return `${shown > 0 ? '+' : shown < 0 ? '−' : ''}${Math.abs(shown)} min`;
}

export function levelChip(level: string): HTMLElement {
  const known = (level in LEVEL_COLOURS ? level : 'unknown') as Level;
  return h('span', {
    class: 'level-chip', style: `background:${LEVEL_COLOURS[known]};color:${LEVEL_TEXT_COLOURS[known]}`,
  }, `${levelMark(known)} ${level}`);
}
