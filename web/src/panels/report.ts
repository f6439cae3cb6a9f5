/** The "Day report" button (roles that may export): the after-action report of a chosen day, opened
 * as HTML in a new tab, with its PDF beside it (GET .../export/report?date=D&format=html|pdf). */

import { siteUrl } from '../api';
import { nowMs } from '../context';
import { h } from '../dom';
import type { PlanningContext } from './scenario-mount';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The report's address for a day, or null when the day is not a date. */
export function reportUrl(site: string, date: string, format: 'html' | 'pdf'): string | null {
  if (!DATE.test(date) || Number.isNaN(Date.parse(date))) return null;
  return siteUrl(site, `/export/report?date=${date}&format=${format}`);
}

/** Today in the site's time zone, as YYYY-MM-DD. */
export function siteToday(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function mountReport(ctx: PlanningContext): void {
  const actions = document.querySelector('.topbar .actions');
  if (!actions) return;
  // The server's day (a demo or training clock may differ from this computer's).
  const today = (): string => siteToday(ctx.site.timezone, new Date(nowMs() ?? Date.now()));
  const date = h('input', { id: 'report-date', type: 'date', value: today(), max: today(), 'aria-label': 'day of the report' });
  const html = h('a', { id: 'report-html', target: '_blank', rel: 'noopener', class: 'button-link' }, 'Open report');
  const pdf = h('a', { id: 'report-pdf', class: 'button-link', download: '' }, 'PDF');
  const note = h('span', { class: 'error', role: 'status' });
  const update = (): void => {
    const page = reportUrl(ctx.site.id, date.value, 'html');
    const file = reportUrl(ctx.site.id, date.value, 'pdf');
    note.textContent = page ? '' : 'Choose a day.';
    for (const [link, url] of [[html, page], [pdf, file]] as const) {
      if (url) link.setAttribute('href', url);
      else link.removeAttribute('href');
      link.setAttribute('aria-disabled', String(!url));
    }
    pdf.setAttribute('download', `report-${ctx.site.id}-${date.value}.pdf`);
  };
  date.addEventListener('input', update);
  update();
  // The server's clock arrives after boot: follow it until the planner picks a day.
  let picked = false;
  date.addEventListener('change', () => { picked = true; });
  const menu = h('details', { id: 'day-report', class: 'day-report' },
    h('summary', { title: 'The after-action report of a day: levels, alerts, measures, forecast skill, data' }, 'Day report'),
    h('div', { class: 'day-report-menu' }, h('label', {}, 'Day ', date), html, pdf, note));
  menu.addEventListener('toggle', () => {
    date.max = today();
    if (!picked) date.value = today();
    update();
  });
  actions.insertBefore(menu, document.getElementById('user'));
}
