/** The training lobby: the sessions one may join, and (trainers) a form to start one from a
 * simulated (scripted) or a recorded day of a site. */

import { getJson, postJson } from '../api';
import { message } from '../context';
import { fill, h } from '../dom';
import type { TrainingState } from '../training';
import { sessionTime } from '../training-format';
import type { TrainingSession } from '../training-types';

export async function renderLobby(main: HTMLElement, state: TrainingState): Promise<void> {
  const sessions = await getJson<TrainingSession[]>('/api/v1/training/sessions');
  let list = main.querySelector<HTMLElement>('#training-sessions');
  if (!list) {
    fill(main,
      h('section', { class: 'panel training-card' },
        h('h2', {}, 'Training sessions'),
        h('p', { class: 'muted' }, 'Join a session to handle its alerts as you would live. Nothing here touches live data.'),
        h('ul', { id: 'training-sessions', class: 'training-list' })),
      state.me.permissions.includes('run_training') ? startForm(state) : null);
    list = main.querySelector<HTMLElement>('#training-sessions')!;
  }
  fill(list, ...(sessions.length ? sessions.map((s) => h('li', {},
    h('strong', {}, s.site), ` · ${s.mode} day · `, sessionTime(s.now, s.timezone, true),
    ` · ${s.paused ? 'paused' : `${s.speed}×`} · by ${s.created_by ?? '–'} `,
    h('a', { class: 'button', href: `/?training=${encodeURIComponent(s.id)}`, 'data-join': s.id }, 'Join')))
    : [h('li', { class: 'muted' }, 'No session is running.')]));
}

function startForm(state: TrainingState): HTMLElement {
  const site = h('select', { name: 'site', 'aria-label': 'Site' },
    ...state.sites.map((s) => h('option', { value: s.id }, s.name)));
  const mode = h('select', { name: 'mode', 'aria-label': 'Day' },
    h('option', { value: 'scripted' }, 'Simulated day (the site\'s scripted day)'),
    h('option', { value: 'recorded' }, 'Recorded day (observations in the store)'));
  const date = h('input', { type: 'date', name: 'date', 'aria-label': 'Date (default: the site\'s demo day)' });
  const start = h('input', { type: 'time', name: 'start', 'aria-label': 'Start time' });
  const speed = h('input', { type: 'number', name: 'speed', min: 1, max: 3600, step: 1, value: 60, 'aria-label': 'Speed' });
  const status = h('p', { class: 'muted', role: 'status' });
  const form = h('form', { class: 'training-form', id: 'training-start' },
    h('label', {}, 'Site ', site), h('label', {}, 'Day ', mode), h('label', {}, 'Date ', date),
    h('label', {}, 'Start ', start), h('label', {}, 'Speed (×) ', speed),
    h('button', { type: 'submit', class: 'primary' }, 'Start session'), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = 'Preparing the sandbox…';
    const body: Record<string, unknown> = { site: site.value, mode: mode.value, speed: Number(speed.value), paused: true };
    if (date.value) body.date = date.value;
    if (start.value) body.start = start.value;
    postJson<TrainingSession>('/api/v1/training/sessions', body)
      .then((s) => window.location.assign(`/?training=${encodeURIComponent(s.id)}`))
      .catch((error: unknown) => { status.textContent = message(error); });
  });
  return h('section', { class: 'panel training-card' }, h('h2', {}, 'Start a session (trainer)'),
    h('p', { class: 'muted' }, 'The session starts paused: brief the trainees, then resume.'), form);
}
