/** The trainer's console: the session's clock (pause, speed, jump back and forth by buttons or a
 * slider over the day), incidents to inject (the catalogue and free ones), the trainees' actions as
 * they happen, and ending the session (which keeps its debrief). Built once per session; each poll
 * only refreshes the moving parts, so a half-filled form survives. */

import { deleteJson, postJson, trainingUrl } from '../api';
import { fill, h } from '../dom';
import type { TrainingState } from '../training';
import { sessionTime } from '../training-format';
import type { LogEntry, TrainingSession } from '../training-types';

export interface ConsoleActions {
  changed(): void;
  failed(error: unknown): void;
  ended(): void;
}

const SPEEDS = [1, 10, 30, 60, 120, 300, 600];
const JUMPS = [-30, -5, 5, 30];

export function renderConsole(main: HTMLElement, state: TrainingState, actions: ConsoleActions): void {
  const session = state.session!;
  if (main.dataset.built !== `console-${session.id}`) {
    fill(main, clockCard(session, actions), injectCard(state, actions),
      h('section', { class: 'panel training-card' }, h('h2', {}, 'Injected incidents'),
        h('ul', { id: 'training-incidents', class: 'training-list' })),
      h('section', { class: 'panel training-card training-feed-card' }, h('h2', {}, 'Trainees\' actions as they happen'),
        h('ol', { id: 'training-feed', class: 'training-feed', 'aria-live': 'polite' })));
    main.dataset.built = `console-${session.id}`;
  }
  update(main, session, state);
}

function post(session: TrainingSession, rest: string, body: unknown, actions: ConsoleActions): void {
  postJson(trainingUrl(session.id, rest), body).then(actions.changed, actions.failed);
}

function clockCard(session: TrainingSession, actions: ConsoleActions): HTMLElement {
  const toggle = h('button', { type: 'button', id: 'training-toggle', class: 'primary' }, 'Pause');
  toggle.addEventListener('click', () => post(session, toggle.dataset.paused === '1' ? '/resume' : '/pause', {}, actions));
  const speed = h('select', { id: 'training-speed', 'aria-label': 'Speed' },
    ...SPEEDS.map((s) => h('option', { value: s }, `${s}×`)));
  speed.addEventListener('change', () => post(session, '/speed', { speed: Number(speed.value) }, actions));
  const jumps = JUMPS.map((m) => h('button', {
    type: 'button', 'data-jump': m, title: m < 0 ? `Back ${-m} minutes (the day is replayed)` : `Ahead ${m} minutes`,
    onclick: () => post(session, '/jump', { minutes: m }, actions),
  }, m < 0 ? `⟲ ${-m} min` : `+${m} min ⟳`));
  const start = Date.parse(session.start ?? session.now);
  const slider = h('input', {
    type: 'range', id: 'training-slider', min: start, max: Date.parse(session.day_end), step: 60_000,
    'aria-label': 'Session time: drag to jump back or ahead',
  });
  const label = h('output', { id: 'training-slider-label', for: 'training-slider' });
  slider.addEventListener('input', () => {
    slider.dataset.dragging = '1';
    label.textContent = sessionTime(new Date(Number(slider.value)).toISOString(), session.timezone);
  });
  slider.addEventListener('change', () => {
    delete slider.dataset.dragging;
    post(session, '/jump', { to: new Date(Number(slider.value)).toISOString() }, actions);
  });
  const end = h('button', { type: 'button', id: 'training-end', class: 'danger' }, 'End session and debrief');
  end.addEventListener('click', () => {
    if (!window.confirm('End the session for everyone and open the debrief?')) return;
    deleteJson(trainingUrl(session.id)).then(actions.ended, actions.failed);
  });
  return h('section', { class: 'panel training-card training-clock-card' },
    h('h2', {}, 'Session clock'),
    h('p', { class: 'training-big-clock', id: 'training-console-clock' }),
    h('div', { class: 'training-row' }, toggle, h('label', {}, 'Speed ', speed), ...jumps),
    h('div', { class: 'training-row training-slider-row' }, slider, label),
    h('p', { class: 'muted' }, 'Jumping back replays the day to that moment: alerts after it are raised again, ',
      'and trainees\' actions after it stay in the log marked as rewound.'),
    h('div', { class: 'training-row' }, end));
}

function injectCard(state: TrainingState, actions: ConsoleActions): HTMLElement {
  const session = state.session!;
  const kind = h('select', { name: 'kind', id: 'incident-kind', 'aria-label': 'Incident' },
    ...state.catalogue.map((c) => h('option', { value: c.kind, title: c.effect }, c.label)));
  const zones = state.features.map((f) => f.properties);
  const zone = h('select', { name: 'zone', id: 'incident-zone', 'aria-label': 'Zone' },
    ...zones.map((z) => h('option', { value: z.id }, z.name)));
  const stops = h('select', { name: 'stops', id: 'incident-stops', multiple: true, 'aria-label': 'Tram stops' },
    ...zones.filter((z) => z.kind === 'tram_stop').map((z) => h('option', { value: z.id }, z.name)));
  const factor = h('input', { type: 'number', name: 'factor', id: 'incident-factor', min: 1.1, max: 20, step: 0.1, value: 3 });
  const duration = h('input', { type: 'number', name: 'duration', id: 'incident-duration', min: 1, max: 1440, placeholder: 'until the end' });
  const level = h('select', { name: 'level', id: 'incident-level' },
    ...['yellow', 'orange', 'red'].map((l) => h('option', { value: l, selected: l === 'orange' }, l)));
  const note = h('input', { type: 'text', name: 'note', id: 'incident-note', maxlength: 500,
    placeholder: 'free incident: what happens (e.g. a fight at the Pier entrance)' });
  const effect = h('p', { class: 'muted', id: 'incident-effect' });
  const status = h('p', { class: 'muted', role: 'status' });
  const fields: [HTMLElement, string[]][] = [
    [zone, ['surge', 'sensor_failure', 'free']], [stops, ['tram_disruption']], [factor, ['surge']],
    [level, ['free']], [note, ['free', 'surge', 'sensor_failure', 'tram_disruption']],
  ];
  const showEffect = (): void => {
    const entry = state.catalogue.find((c) => c.kind === kind.value);
    effect.textContent = entry ? `${entry.effect} (needs ${entry.needs})` : '';
    // Only the fields this kind of incident uses.
    for (const [field, kinds] of fields) (field.parentElement as HTMLElement).hidden = !kinds.includes(kind.value);
  };
  kind.addEventListener('change', showEffect);
  const form = h('form', { class: 'training-form', id: 'training-inject' },
    h('label', {}, 'Incident ', kind), h('label', {}, 'Zone ', zone), h('label', {}, 'Tram stops ', stops),
    h('label', {}, 'Factor ', factor), h('label', {}, 'Minutes ', duration), h('label', {}, 'Alert level ', level),
    h('label', { class: 'wide' }, 'Note ', note), effect, h('button', { type: 'submit', class: 'primary' }, 'Inject now'), status);
  showEffect();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body: Record<string, unknown> = { kind: kind.value, note: note.value || null };
    if (kind.value === 'tram_disruption') body.stops = [...stops.selectedOptions].map((o) => o.value);
    else body.zone = zone.value;
    if (kind.value === 'surge') body.factor = Number(factor.value);
    if (kind.value === 'free') body.level = level.value;
    if (duration.value) body.duration_minutes = Number(duration.value);
    postJson(trainingUrl(session.id, '/incidents'), body).then(() => {
      status.textContent = 'Injected.';
      note.value = '';
      actions.changed();
    }, (error: unknown) => { status.textContent = ''; actions.failed(error); });
  });
  return h('section', { class: 'panel training-card' }, h('h2', {}, 'Inject an incident'), form);
}

function update(main: HTMLElement, session: TrainingSession, state: TrainingState): void {
  main.querySelector('#training-console-clock')!.textContent =
    `${sessionTime(session.now, session.timezone, true)} · ${session.paused ? 'paused' : `running ${session.speed}×`}`;
  const toggle = main.querySelector<HTMLButtonElement>('#training-toggle')!;
  toggle.dataset.paused = session.paused ? '1' : '0';
  toggle.textContent = session.paused ? '▶ Resume' : '❚❚ Pause';
  const speed = main.querySelector<HTMLSelectElement>('#training-speed')!;
  if (document.activeElement !== speed) speed.value = String(session.speed);
  const slider = main.querySelector<HTMLInputElement>('#training-slider')!;
  if (!slider.dataset.dragging) {
    slider.value = String(Date.parse(session.now));
    main.querySelector('#training-slider-label')!.textContent = sessionTime(session.now, session.timezone);
  }
  fill(main.querySelector('#training-incidents')!, ...(session.incidents.length ? session.incidents.map((i) => h('li', {},
    `${sessionTime(i.start, session.timezone)} · #${i.id} ${i.kind.replace(/_/g, ' ')}`,
    i.zone ? ` at ${i.zone}` : '', i.stops.length ? ` at ${i.stops.join(', ')}` : '',
    i.kind === 'surge' ? ` ×${i.factor}` : '', i.note ? ` — ${i.note}` : '',
    i.end ? ` (until ${sessionTime(i.end, session.timezone)})` : '')) : [h('li', { class: 'muted' }, 'None yet.')]));
  const entries = [...(state.log?.entries ?? [])].reverse();
  fill(main.querySelector('#training-feed')!, ...(entries.length ? entries.map((e) => feedRow(e, session))
    : [h('li', { class: 'muted' }, 'Nothing yet.')]));
}

function feedRow(entry: LogEntry, session: TrainingSession): HTMLElement {
  const e = entry as LogEntry & Record<string, unknown>;
  const when = sessionTime(entry.at, session.timezone);
  let text: string;
  if (entry.type === 'action') {
    text = `${String(e.action).replace(/_/g, ' ')}${e.measure ? `: ${String(e.measure)}` : ''} — ${String(e.zone_id)} (${String(e.level)})`;
  } else if (entry.type === 'rewind') {
    text = `jumped back from ${sessionTime(String(e.from), session.timezone)} to ${sessionTime(String(e.to), session.timezone)}`;
  } else {
    text = String(e.what ?? entry.type);
  }
  return h('li', { class: `feed-${entry.type}${e.rewound ? ' rewound' : ''}`, 'data-type': entry.type },
    h('time', {}, when), ' ', h('strong', {}, entry.by ?? '–'), ' ', text,
    e.rewound ? h('span', { class: 'tag' }, 'rewound') : null);
}
