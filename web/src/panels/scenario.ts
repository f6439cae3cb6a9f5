/** Scenario mode: choose an example of the site, a stored run or compose one, run it (stored by the
 * API), and see it on the map against its baseline on a slider over the planned day, with the advice
 * it triggers and when. Marked SCENARIO everywhere it shows (banner, map frame, page title, time bar)
 * so nobody takes it for live; `#scenario=ID` reopens a stored run for anyone who may read it. */

import { ApiError, getJson, postForAnswer, siteUrl } from '../api';
import { message } from '../context';
import { byId, fill, h } from '../dom';
import { LEVEL_COLOURS, LEVEL_LABELS, LEVEL_TEXT_COLOURS, LEVELS, levelMark } from '../levels';
import {
  adviceAt, clampSlot, levelChanges, levelTally, mostChangedSlot, scenarioFeatures, slotAt, slotCount,
  type ScenarioAdvice, type ScenarioRun, type Side,
} from '../map/scenario';
import type { Level } from '../types';
import { composeForm } from './scenario-form';
import { parseShare, shareHash, shareUrl } from './scenario-link';
import type { PlanningContext, PlanningShell } from './scenario-mount';

interface Example { file: string; document: Record<string, unknown> }
interface StoredRun { id: string; name: string; date: string; ran_at: string; zones_worse: number }

const PLAY_MS = 700;
export const TITLE_MARK = 'SCENARIO · ';

interface ModeState {
  run: ScenarioRun | null;
  slot: number;
  side: Side;
  timer: number | null;
  busy: string | null;
  error: string | null;
  problems: string[];
}

export function mountScenario(ctx: PlanningContext, shell: PlanningShell): void {
  const state: ModeState = { run: null, slot: 0, side: 'scenario', timer: null, busy: null, error: null, problems: [] };
  const banner = h('div', { id: 'scenario-banner', class: 'scenario-banner', role: 'status', hidden: true });
  document.querySelector('.map-wrap')?.append(banner);
  const bar = h('div', { id: 'scenario-bar', class: 'scenario-bar', hidden: true });
  byId('timebar').append(bar);
  keepTitleMarked();

  let composed: HTMLFormElement | null = null; // kept, so a refused scenario keeps its values
  const form = (): HTMLFormElement => (composed ??= composeForm(ctx, (doc) => void run(doc), (p) => {
    state.problems = p;
    state.error = p.length ? 'The scenario is not complete.' : null;
    void renderChooser();
  }));
  const open = (): void => {
    shell.show('scenario', 'Scenarios (what-if)');
    void renderChooser();
  };
  shell.addButton('open-scenarios', 'Scenarios', 'What-if scenarios: run one and compare it with the normal day', () => {
    if (shell.tool() === 'scenario' && !state.run) shell.hide();
    else if (state.run) renderRun();
    else open();
  });

  async function renderChooser(): Promise<void> {
    if (shell.tool() !== 'scenario' || state.run) return;
    const examples = h('ul', { class: 'scenario-examples' }, h('li', { class: 'note' }, 'Loading…'));
    const stored = h('ul', { class: 'scenario-stored' }, h('li', { class: 'note' }, 'Loading…'));
    const status = h('p', { class: state.error ? 'error' : 'note', id: 'scenario-status', role: 'status' },
      state.busy ?? state.error ?? '');
    const problems = state.problems.length ? h('ul', { class: 'error scenario-problems' },
      ...state.problems.map((p) => h('li', {}, p))) : null;
    fill(shell.body, status, problems,
      h('h3', {}, 'Examples of this site'), examples,
      h('details', { class: 'scenario-compose', open: state.problems.length > 0 || undefined },
        h('summary', {}, 'Compose a scenario'), form()),
      h('h3', {}, 'Stored runs'), stored);
    try {
      const [found, runs] = await Promise.all([
        getJson<Example[]>(siteUrl(ctx.site.id, '/scenarios/examples')),
        getJson<{ scenarios: StoredRun[] }>(siteUrl(ctx.site.id, '/scenarios')),
      ]);
      fill(examples, ...(found.length ? found.map((ex) => h('li', {},
        h('span', {}, String(ex.document.name ?? ex.file)),
        h('button', { type: 'button', class: 'run-example', 'data-file': ex.file,
          onclick: () => void run(ex.document) }, 'Run'))) : [h('li', { class: 'note' }, 'No examples in the site folder.')]));
      fill(stored, ...(runs.scenarios.length ? runs.scenarios.slice(0, 20).map((r) => h('li', {},
        h('a', { href: shareHash({ kind: 'scenario', id: r.id }), 'data-run': r.id }, r.name),
        h('span', { class: 'meta' }, ` ${r.date} · ${r.zones_worse} zone${r.zones_worse === 1 ? '' : 's'} worse`)))
        : [h('li', { class: 'note' }, 'None yet.')]));
    } catch (error) {
      fill(examples, h('li', { class: 'error' }, `Could not load: ${message(error)}`));
      stored.replaceChildren();
    }
  }

  async function run(document_: Record<string, unknown>): Promise<void> {
    state.busy = `Running “${String(document_.name ?? 'scenario')}”…`;
    state.error = null;
    state.problems = [];
    void renderChooser();
    try {
      const answer = await postForAnswer(siteUrl(ctx.site.id, '/scenarios'), document_);
      state.busy = null;
      if (answer.status === 201) {
        window.location.hash = shareHash({ kind: 'scenario', id: (answer.body as ScenarioRun).id });
        return; // the hash change opens it, as a shared link would
      }
      const body = answer.body as { detail?: unknown; problems?: { path: string; message: string }[] };
      state.error = `The scenario was refused (${answer.status}): ${typeof body.detail === 'string' ? body.detail : 'invalid'}`;
      state.problems = (body.problems ?? []).map((p) => `${p.path}: ${p.message}`);
    } catch (error) {
      state.busy = null;
      state.error = message(error);
    }
    void renderChooser();
  }

  async function openRun(id: string): Promise<void> {
    try {
      const found = await getJson<ScenarioRun>(siteUrl(ctx.site.id, `/scenarios/${encodeURIComponent(id)}`));
      enter(found);
    } catch (error) {
      leave(false);
      shell.show('scenario', 'Scenarios (what-if)');
      state.error = error instanceof ApiError && error.status === 403
        ? 'Your role may not open scenarios.' : `Could not open the run: ${message(error)}`;
      void renderChooser();
    }
  }

  function enter(found: ScenarioRun): void {
    stop();
    state.run = found;
    state.slot = mostChangedSlot(found);
    state.side = 'scenario';
    document.body.classList.add('scenario-mode');
    document.body.dataset.scenario = found.id;
    markTitle();
    shell.show('scenario', 'SCENARIO — planned day, not live');
    draw();
  }

  function leave(clearHash = true): void {
    stop();
    state.run = null;
    document.body.classList.remove('scenario-mode');
    delete document.body.dataset.scenario;
    banner.hidden = true;
    bar.hidden = true;
    ctx.map.showOverlay(null);
    document.title = document.title.replace(TITLE_MARK, '');
    if (clearHash && parseShare(window.location.hash)?.kind === 'scenario') {
      history.replaceState(null, '', window.location.pathname + window.location.search);
    }
  }

  function stop(): void {
    if (state.timer !== null) window.clearInterval(state.timer);
    state.timer = null;
  }

  function setSlot(slot: number): void {
    if (!state.run) return;
    state.slot = clampSlot(state.run, slot);
    draw();
  }

  function setSide(side: Side): void {
    state.side = side;
    draw();
  }

  function togglePlay(): void {
    const found = state.run;
    if (!found) return;
    if (state.timer !== null) {
      stop();
      draw();
      return;
    }
    if (state.slot >= slotCount(found) - 1) state.slot = 0;
    state.timer = window.setInterval(() => {
      if (!state.run || state.slot >= slotCount(state.run) - 1) stop();
      else state.slot += 1;
      draw();
    }, PLAY_MS);
    draw();
  }

  /** Map, banner, time bar and (when open) the panel, for the run at the slot. */
  function draw(): void {
    const found = state.run;
    if (!found) return;
    ctx.map.showOverlay(scenarioFeatures(ctx.zones, found, state.slot, state.side, null, ctx.map.heightScale));
    ctx.map.map.getContainer().dataset.scenarioSide = state.side;
    const at = slotAt(found, state.slot);
    const side = state.side === 'scenario' ? 'scenario' : 'baseline (normal day)';
    banner.hidden = false;
    fill(banner,
      h('strong', {}, 'SCENARIO'),
      h('span', {}, ` ${found.name} · ${found.date} ${at?.local ?? ''} · showing the ${side} · not live `),
      h('button', { type: 'button', id: 'scenario-details', onclick: renderRun }, 'Details'),
      h('button', { type: 'button', id: 'scenario-leave', onclick: () => leave() }, 'Back to live'));
    renderBar(found);
    if (shell.tool() === 'scenario') renderRun();
  }

  function renderBar(found: ScenarioRun): void {
    bar.hidden = false;
    const slider = h('input', { id: 'scenario-slider', type: 'range', min: 0, max: Math.max(slotCount(found) - 1, 0),
      step: 1, value: state.slot, 'aria-label': 'time of the scenario day' });
    slider.addEventListener('input', () => setSlot(Number(slider.value)));
    const focused = document.activeElement?.id;
    const toggle = (side: Side, text: string): HTMLButtonElement => h('button', {
      type: 'button', class: 'side-toggle', 'data-side': side, 'aria-pressed': String(state.side === side),
      onclick: () => setSide(side) }, text);
    const at = slotAt(found, state.slot);
    fill(bar,
      h('span', { class: 'scenario-tag' }, 'SCENARIO'),
      h('button', { type: 'button', id: 'scenario-play', 'aria-pressed': String(state.timer !== null), onclick: togglePlay },
        state.timer !== null ? '❚❚ Pause' : '▶ Play'),
      slider,
      h('output', { id: 'scenario-time', for: 'scenario-slider' }, `${found.date} ${at?.local ?? ''}`),
      h('span', { class: 'side-toggles', role: 'group', 'aria-label': 'baseline or scenario' },
        toggle('baseline', 'Baseline'), toggle('scenario', 'Scenario')));
    if (focused) document.getElementById(focused)?.focus();
  }

  function renderRun(): void {
    const found = state.run;
    if (!found) return;
    shell.show('scenario', 'SCENARIO — planned day, not live');
    const link = shareUrl(window.location, { kind: 'scenario', id: found.id });
    const changes = levelChanges(found, state.slot);
    const { due, later } = adviceAt(found, state.slot);
    const tally = levelTally(found, state.slot, state.side);
    const at = slotAt(found, state.slot);
    const copy = h('button', { type: 'button', id: 'scenario-copy' }, 'Copy link');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(link).then(() => { copy.textContent = 'Copied'; }, () => undefined);
    });
    fill(shell.body,
      h('p', { class: 'scenario-name' }, h('strong', {}, found.name), h('br'),
        h('span', { class: 'meta' }, `${found.date} · baseline: ${found.baseline_source} · ran ${found.ran_at.slice(0, 16).replace('T', ' ')} UTC`)),
      found.description ? h('p', { class: 'note' }, found.description) : null,
      h('ul', { class: 'scenario-changes' }, ...found.changes.map((c) => h('li', {}, describeChange(c)))),
      h('h3', {}, `At ${at?.local ?? ''} — ${state.side}`),
      h('p', { class: 'scenario-tally' }, ...LEVELS.map((level) => chip(level, `${tally[level] ?? 0} ${LEVEL_LABELS[level]}`))),
      h('h3', {}, 'Zones the scenario changes now'),
      changes.length ? h('ul', { class: 'scenario-zone-changes' }, ...changes.map((c) => h('li', { 'data-zone': c.zone },
        `${c.name}: `, chip(c.baseline, LEVEL_LABELS[c.baseline]), ' → ', chip(c.scenario, LEVEL_LABELS[c.scenario]))))
        : h('p', { class: 'note' }, 'No zone differs from the baseline at this time.'),
      h('h3', {}, `Advice it triggers (${found.advice.scenario.length})`),
      adviceList('scenario-advice-due', 'Must have started by now', due, found.timezone),
      adviceList('scenario-advice-later', 'Later today', later, found.timezone),
      h('h3', {}, 'Share'),
      h('p', { class: 'share' }, h('input', { id: 'scenario-link', readonly: true, value: link, 'aria-label': 'link to this run' }), copy),
      h('p', { class: 'note' }, 'Only roles that may run scenarios can open the link.'),
      h('p', {}, h('button', { type: 'button', onclick: () => { leave(); open(); } }, 'Another scenario'), ' ',
        h('button', { type: 'button', onclick: () => leave() }, 'Back to live')));
  }

  window.addEventListener('hashchange', () => void follow());
  const follow = async (): Promise<void> => {
    const shared = parseShare(window.location.hash);
    if (shared?.kind === 'scenario') await openRun(shared.id);
    else if (state.run) leave(false);
  };
  void follow();
}

function chip(level: Level, text: string): HTMLElement {
  return h('span', { class: 'chip', 'data-level': level,
    style: `background:${LEVEL_COLOURS[level]};color:${LEVEL_TEXT_COLOURS[level]}` }, `${levelMark(level)} ${text}`);
}

function adviceList(id: string, title: string, items: ScenarioAdvice[], timeZone: string): HTMLElement {
  const clock = (iso: string): string => new Date(iso).toLocaleTimeString('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' });
  return h('div', { id, class: 'scenario-advice' }, h('h4', {}, `${title} (${items.length})`),
    items.length ? h('ol', { class: 'advice-list' }, ...items.map((a) => h('li', { 'data-measure': a.measure_id },
      chip(a.level, LEVEL_LABELS[a.level]), h('strong', {}, a.measure), h('br'),
      h('span', { class: 'meta' }, `start by ${clock(a.start_by)} · ${a.owner} · expected ${clock(a.expected_at)}`
        + (a.new ? ' · new in this scenario' : a.earlier_minutes ? ` · ${a.earlier_minutes} min earlier than normal` : '')))))
      : h('p', { class: 'note' }, 'None.'));
}

/** A change note of the result (a string, or the change itself) in words. */
export function describeChange(change: unknown): string {
  if (typeof change === 'string') return change;
  if (change && typeof change === 'object') {
    const c = change as Record<string, unknown>;
    const note = c.note ?? c.summary ?? c.description;
    if (typeof note === 'string') return note;
    return Object.entries(c).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' – ') : String(v)}`).join(', ');
  }
  return String(change);
}

/** render.ts rewrites the page title (the alert badge) on every render: keep the SCENARIO mark in front. */
function keepTitleMarked(): void {
  const title = document.querySelector('title');
  if (!title) return;
  new MutationObserver(markTitle).observe(title, { childList: true, characterData: true, subtree: true });
}

function markTitle(): void {
  if (document.body.classList.contains('scenario-mode') && !document.title.startsWith(TITLE_MARK)) {
    document.title = TITLE_MARK + document.title;
  }
}
