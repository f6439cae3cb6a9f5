/** The debrief of a training session: what trainees did against what the playbook advised and
 * when — figures, each alert (advice, response, missed), each crossing (lead time achieved or
 * missed), each action (rewound ones struck through) and the whole timeline. */

import { fill, h } from '../dom';
import { leadText, levelChip, sessionTime } from '../training-format';
import type { Debrief } from '../training-types';

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function renderDebrief(main: HTMLElement, debrief: Debrief | null, ended: boolean): void {
  delete main.dataset.built;
  if (!debrief) {
    fill(main, h('section', { class: 'panel training-card' }, h('h2', {}, 'Debrief'),
      h('p', { class: 'muted' }, ended ? 'This session has ended; its debrief is not available to you.'
        : 'The debrief opens for trainees when the trainer ends the session.')));
    return;
  }
  const t = (iso: string | null | undefined): string => sessionTime(iso, ZONE_OF(debrief));
  const s = debrief.summary;
  fill(main,
    h('section', { class: 'panel training-card debrief-summary', id: 'debrief' },
      h('h2', {}, `Debrief ${debrief.ended ? '' : '(session still running) '}`, h('span', { class: 'training-tag' }, 'TRAINING')),
      h('p', { class: 'muted' }, `${debrief.site} · ${sessionTime(debrief.start, ZONE_OF(debrief), true)} – ${t(debrief.now)}`),
      h('dl', { class: 'debrief-figures' },
        figure('Alerts handled', `${s.handled} of ${s.alerts}`), figure('Alerts missed', s.missed_alerts),
        figure('Crossings ahead / late / missed', `${s.ahead} / ${s.late} / ${s.missed_crossings}`),
        figure('Mean response', leadText(s.mean_response_minutes).replace('+', '')),
        figure('Mean lead before crossing', leadText(s.mean_lead_minutes)),
        figure('Actions (rewound)', `${s.actions} (${s.rewound_actions})`))),
    h('section', { class: 'panel training-card' }, h('h2', {}, 'Trainees\' actions'),
      table(['Time', 'Who', 'Action', 'Zone', 'Advised', 'Lead before crossing'], debrief.actions.map((a) => h('tr', {
        class: a.rewound ? 'rewound' : '', 'data-action': a.action, 'data-alert': a.alert_id },
      h('td', {}, t(a.at)), h('td', {}, a.by),
      h('td', {}, a.action.replace(/_/g, ' '), a.measure ? `: ${a.measure}` : '', a.rewound ? h('span', { class: 'tag' }, 'rewound') : null),
      h('td', {}, a.zone_name), h('td', {}, a.action === 'measure_taken' ? (a.advised ? 'yes' : 'own') : ''),
      h('td', { class: 'lead' }, a.lead_minutes === null ? 'no crossing followed'
        : `${leadText(a.lead_minutes)} (${a.crossing_level} at ${t(a.before_crossing)})`))))),
    h('section', { class: 'panel training-card' }, h('h2', {}, 'Alerts: what the playbook advised'),
      table(['Raised', 'Zone', 'Level', 'Advised measures', 'First action', 'Response', ''], debrief.alerts.map((a) => h('tr', {
        class: a.missed ? 'missed' : '', 'data-alert': a.alert_id },
      h('td', {}, t(a.raised_at)), h('td', {}, a.zone_name), h('td', {}, levelChip(a.level)),
      h('td', {}, a.advised.length ? a.advised.map((m) => `${m.taken ? '✓' : '·'} ${m.id}`).join(', ') : '–'),
      h('td', {}, t(a.first_action_at)), h('td', {}, leadText(a.response_minutes).replace('+', '')),
      h('td', {}, a.missed ? h('span', { class: 'tag missed' }, 'missed') : 'handled'))))),
    h('section', { class: 'panel training-card' }, h('h2', {}, 'Crossings: lead times achieved'),
      table(['Time', 'Zone', 'Level', 'Warned', 'First action', 'Lead', 'Outcome'], debrief.crossings.map((c) => h('tr', {
        class: `crossing-${c.status}` },
      h('td', {}, t(c.at)), h('td', {}, c.zone_name), h('td', {}, levelChip(c.level)), h('td', {}, t(c.warned_at)),
      h('td', {}, t(c.first_action_at)), h('td', {}, leadText(c.lead_minutes)), h('td', {}, h('span', { class: `tag ${c.status}` }, c.status)))))),
    h('section', { class: 'panel training-card' }, h('h2', {}, 'Timeline'),
      h('ol', { class: 'debrief-timeline' }, ...debrief.timeline.map((row) => h('li', {
        class: `tl-${row.kind}${row.rewound ? ' rewound' : ''}` },
      h('time', {}, t(row.at)), ' ', h('span', { class: 'tag' }, row.kind.replace(/_/g, ' ')), ' ',
      row.by ? h('strong', {}, `${String(row.by)} `) : null, row.text)))),
  );
}

function ZONE_OF(debrief: Debrief): string {
  return debrief.timezone || ZONE;
}

function figure(label: string, value: string | number): HTMLElement {
  return h('div', {}, h('dt', {}, label), h('dd', {}, String(value)));
}

function table(head: string[], rows: HTMLElement[]): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted' }, 'None.');
  return h('div', { class: 'table-scroll' }, h('table', { class: 'training-table' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows)));
}
