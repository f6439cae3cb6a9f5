/** The time slider: from the past hours through now into the forecast, with play/pause. */

import { byId } from '../dom';
import { formatClock, formatOffset } from '../format';
import type { TimeDomain } from '../timeline';

export interface SliderView {
  domain: TimeDomain | null;
  cursor: number | null;
  playing: boolean;
  timeZone: string;
  forecastIssuedAt: string | null;
}

export function renderSlider(view: SliderView): void {
  const slider = byId<HTMLInputElement>('time-slider');
  const label = byId('time-label');
  const play = byId<HTMLButtonElement>('play');
  const live = byId<HTMLButtonElement>('live');
  const bar = byId('timebar');
  const { domain } = view;
  if (!domain) {
    slider.disabled = true;
    label.textContent = 'waiting for data';
    return;
  }
  slider.disabled = false;
  slider.min = String(domain.start);
  slider.max = String(domain.end);
  slider.step = String(60_000);
  const at = view.cursor ?? domain.now;
  if (document.activeElement !== slider || !view.cursor) slider.value = String(at);
  const span = domain.end - domain.start || 1;
  slider.style.setProperty('--now', `${((domain.now - domain.start) / span) * 100}%`);
  const mode = view.cursor === null ? 'live' : view.cursor > domain.now ? 'forecast' : 'past';
  bar.dataset.mode = mode;
  label.textContent = view.cursor === null
    ? `Live · ${formatClock(domain.now, view.timeZone)}`
    : `${mode === 'forecast' ? 'Forecast' : 'Past'} · ${formatClock(at, view.timeZone)} (${formatOffset(at - domain.now)})`;
  play.textContent = view.playing ? '❚❚ Pause' : '▶ Play';
  play.setAttribute('aria-pressed', String(view.playing));
  live.disabled = view.cursor === null;
  byId('forecast-note').textContent = domain.end > domain.now
    ? `forecast to ${formatClock(domain.end, view.timeZone)}${view.forecastIssuedAt
      ? `, issued ${formatClock(Date.parse(view.forecastIssuedAt), view.timeZone)}` : ''}`
    : 'no forecast yet';
}
