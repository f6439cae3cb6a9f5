/** The simulation layer's panel (planner roles): run a JuPedSim clearing of a square or open a stored
 * one, and see its density grid on the map with the run's time line (slider, play) — persons still on
 * the square and out through each exit. `#simulation=ID` opens a stored run. */

import { getJson, postForAnswer, siteUrl } from '../api';
import { message } from '../context';
import { fill, h } from '../dom';
import {
  DENSITY_BANDS, densityAt, gridBounds, SimulationLayer, timelineAt, type DensityCollection, type SimulationTimeline,
} from '../map/simulation';
import { parseShare, shareHash } from './scenario-link';
import type { PlanningContext, PlanningShell } from './scenario-mount';

interface StoredSimulation {
  id: string; zone: string; zone_name: string; agents: number; cleared: boolean; evacuation_time_s: number | null;
  time_for_90_percent_s: number | null; peak_density_cell_p_per_m2: number; ran_at: string;
}
interface FullSimulation extends StoredSimulation {
  exits: { exit: string; persons: number; flow_p_per_s: number; width_m: number }[];
  timeline?: SimulationTimeline;
  remaining: number;
  simulated_s: number;
}

const PLAY_MS = 250;
const ZONE_OPACITY = 0.88;

export function mountSimulation(ctx: PlanningContext, shell: PlanningShell): void {
  const layer = new SimulationLayer(ctx.map.map, ctx.map.whenLoaded());
  let current: { run: FullSimulation; grid: DensityCollection } | null = null;
  let step: number | null = null; // null: the peak of each cell
  let timer: number | null = null;
  let status = '';

  shell.addButton('open-simulations', 'Simulation', 'JuPedSim: clearing a square, density on the map', () => {
    if (shell.tool() === 'simulation') shell.hide();
    else open();
  });
  shell.body.parentElement?.addEventListener('planning-closed', () => close());

  function open(): void {
    shell.show('simulation', 'Simulation: clearing a square');
    if (current) renderRun();
    else void renderChooser();
  }

  function close(): void {
    stop();
    if (!current) return;
    current = null;
    layer.hide();
    dimZones(false);
    if (parseShare(window.location.hash)?.kind === 'simulation') {
      history.replaceState(null, '', window.location.pathname + window.location.search);
    }
  }

  function stop(): void {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  async function renderChooser(): Promise<void> {
    const zone = h('select', { id: 'sim-zone' }, ...[...ctx.zones]
      .sort((a, b) => Number(b.properties.kind === 'square') - Number(a.properties.kind === 'square'))
      .map((z) => h('option', { value: z.id }, z.properties.name)));
    const agents = h('input', { id: 'sim-agents', type: 'number', min: 1, max: 20000, step: 1, value: 1000 });
    const stored = h('ul', { class: 'sim-stored' }, h('li', { class: 'note' }, 'Loading…'));
    const form = h('form', { id: 'simulation-form', class: 'scenario-form' },
      h('label', {}, 'Square', zone), h('label', {}, 'Persons on it', agents),
      h('button', { type: 'submit', id: 'simulation-run', class: 'primary' }, 'Simulate clearing'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void run(zone.value, Number(agents.value));
    });
    fill(shell.body, h('p', { class: 'note', id: 'simulation-status', role: 'status' }, status), form,
      h('h3', {}, 'Stored simulations'), stored);
    try {
      const answer = await getJson<{ simulations: StoredSimulation[] }>(siteUrl(ctx.site.id, '/simulations'));
      fill(stored, ...(answer.simulations.length ? answer.simulations.slice(0, 20).map((s) => h('li', {},
        h('a', { href: shareHash({ kind: 'simulation', id: s.id }), 'data-simulation': s.id }, `${s.zone_name}, ${s.agents} persons`),
        h('span', { class: 'meta' }, ` ${s.cleared ? `cleared in ${s.evacuation_time_s ?? '?'} s` : 'not cleared'}`
          + ` · peak ${s.peak_density_cell_p_per_m2} p/m²`))) : [h('li', { class: 'note' }, 'None yet.')]));
    } catch (error) {
      fill(stored, h('li', { class: 'error' }, message(error)));
    }
  }

  async function run(zone: string, agents: number): Promise<void> {
    if (!Number.isInteger(agents) || agents < 1 || agents > 20000) {
      status = 'Persons: a whole number from 1 to 20,000.';
      void renderChooser();
      return;
    }
    status = `Simulating ${agents} persons leaving… (JuPedSim, can take a minute)`;
    void renderChooser();
    const answer = await postForAnswer(siteUrl(ctx.site.id, '/simulations'), { zone, agents });
    if (answer.status === 201) {
      status = '';
      window.location.hash = shareHash({ kind: 'simulation', id: (answer.body as StoredSimulation).id });
      return;
    }
    const detail = (answer.body as { detail?: unknown }).detail;
    status = `Refused (${answer.status}): ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    void renderChooser();
  }

  async function openRun(id: string): Promise<void> {
    try {
      const base = siteUrl(ctx.site.id, `/simulations/${encodeURIComponent(id)}`);
      const [run, grid] = await Promise.all([getJson<FullSimulation>(base), getJson<DensityCollection>(`${base}/density`)]);
      await layer.ready();
      current = { run, grid };
      step = run.timeline ? 0 : null;
      shell.show('simulation', 'Simulation: clearing a square');
      dimZones(true);
      const box = gridBounds(grid);
      // On tablets and phones the panel is a sheet over the lower part of the map: keep the square above it.
      const height = ctx.map.map.getContainer().clientHeight;
      const sheet = window.innerWidth <= 1100 ? Math.round(height * 0.45) : 0;
      if (box) ctx.map.map.fitBounds(box, { padding: { top: 40, left: 40, right: 40, bottom: 40 + sheet }, pitch: 0, duration: 0, maxZoom: 19 });
      draw();
    } catch (error) {
      status = `Could not open the simulation: ${message(error)}`;
      shell.show('simulation', 'Simulation: clearing a square');
      void renderChooser();
    }
  }

  function dimZones(on: boolean): void {
    const map = ctx.map.map;
    if (map.getLayer('zones-extrusion')) map.setPaintProperty('zones-extrusion', 'fill-extrusion-opacity', on ? 0.12 : ZONE_OPACITY);
  }

  function draw(): void {
    if (!current) return;
    layer.show(densityAt(current.grid, step));
    ctx.map.map.getContainer().dataset.simulationStep = step === null ? 'peak' : String(step);
    if (shell.tool() === 'simulation') renderRun();
  }

  function togglePlay(): void {
    const line = current?.run.timeline;
    if (!line) return;
    if (timer !== null) {
      stop();
      draw();
      return;
    }
    if (step === null || step >= line.end_s.length - 1) step = 0;
    timer = window.setInterval(() => {
      if (step === null || step >= line.end_s.length - 1) stop();
      else step += 1;
      draw();
    }, PLAY_MS);
    draw();
  }

  function renderRun(): void {
    if (!current) return;
    const { run, grid } = current;
    const shown = densityAt(grid, step);
    const line = run.timeline;
    const at = line && step !== null ? timelineAt(line, step) : null;
    const slider = line ? h('input', { id: 'sim-slider', type: 'range', min: 0, max: line.end_s.length - 1, step: 1,
      value: step ?? 0, 'aria-label': 'time of the clearing run' }) : null;
    slider?.addEventListener('input', () => {
      step = Number(slider.value);
      draw();
      document.getElementById('sim-slider')?.focus();
    });
    fill(shell.body,
      h('p', {}, h('strong', {}, `${run.zone_name}: ${run.agents} persons leave`), h('br'),
        h('span', { class: 'meta' }, run.cleared ? `cleared in ${run.evacuation_time_s} s (90 % out after ${run.time_for_90_percent_s} s)`
          : `not cleared: ${run.remaining} left after ${run.simulated_s} s`)),
      line ? h('div', { class: 'sim-controls' },
        h('button', { type: 'button', id: 'sim-play', 'aria-pressed': String(timer !== null), onclick: togglePlay },
          timer !== null ? '❚❚ Pause' : '▶ Play'), slider,
        h('button', { type: 'button', id: 'sim-peak', 'aria-pressed': String(step === null),
          onclick: () => { stop(); step = step === null ? 0 : null; draw(); } }, 'Peak'))
        : h('p', { class: 'note' }, 'This run was stored without its time line: the peak of each cell is shown.'),
      h('p', { id: 'sim-moment', class: 'sim-moment' }, at
        ? `After ${Math.round(at.seconds)} s: ${at.onSquare} on the square · densest cell ${shown.max.toFixed(1)} p/m²`
        : `Peak density per 2 m cell over the whole run: up to ${shown.max.toFixed(1)} p/m²`),
      h('h3', {}, 'Exits'),
      h('ul', { class: 'sim-exits' }, ...run.exits.map((e) => h('li', {},
        `${e.exit} (${e.width_m} m): ${at ? `${at.out.find((o) => o.exit === e.exit)?.persons ?? 0} out so far of ` : ''}${e.persons}`
        + ` · ${e.flow_p_per_s} p/s`))),
      h('h3', {}, 'Density'),
      h('ul', { class: 'sim-legend' }, ...DENSITY_BANDS.map((b) => h('li', {},
        h('span', { class: 'swatch', style: `background:${b.colour}` }), b.label))),
      h('p', {}, h('a', { href: shareHash({ kind: 'simulation', id: run.id }) }, 'Link to this run'), ' ',
        h('button', { type: 'button', onclick: () => { close(); void renderChooser(); } }, 'Another simulation')));
  }

  const follow = (): void => {
    const shared = parseShare(window.location.hash);
    if (shared?.kind === 'simulation') void openRun(shared.id);
  };
  window.addEventListener('hashchange', follow);
  follow();
}
