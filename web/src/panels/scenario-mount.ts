/** The planning tools in the page: header buttons for the roles that may use them (scenarios and
 * simulations: run_scenarios; the day report: export), and the panel they open over the side column. */

import { byId, h } from '../dom';
import type { CrowdMap } from '../map';
import type { Me, SiteSummary, ZoneFeature } from '../types';
import { mountReport } from './report';
import { mountScenario } from './scenario';
import { mountSimulation } from './simulation';

export interface PlanningContext {
  site: SiteSummary;
  me: Me;
  map: CrowdMap;
  zones: ZoneFeature[];
}

/** The panel the tools share: one tool at a time, over the side column (a sheet on small screens). */
export interface PlanningShell {
  body: HTMLElement;
  show(tool: 'scenario' | 'simulation', title: string): void;
  hide(): void;
  tool(): string | null;
  addButton(id: string, label: string, title: string, onClick: () => void): HTMLButtonElement;
}

function createShell(): PlanningShell {
  const title = h('h2', { id: 'planning-title' });
  const body = h('div', { class: 'planning-body' });
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close the planning panel' }, '×');
  const panel = h('section', { id: 'planning', class: 'planning', hidden: true, 'aria-labelledby': 'planning-title' },
    h('header', {}, title, close), body);
  document.querySelector('main.layout')?.append(panel);
  const actions = document.querySelector('.topbar .actions');
  const user = byId('user');
  const shell: PlanningShell = {
    body,
    show(tool, text) {
      panel.hidden = false;
      panel.dataset.tool = tool;
      title.textContent = text;
      document.body.dataset.planning = tool;
    },
    hide() {
      panel.hidden = true;
      delete panel.dataset.tool;
      delete document.body.dataset.planning;
      panel.dispatchEvent(new CustomEvent('planning-closed'));
    },
    tool: () => (panel.hidden ? null : panel.dataset.tool ?? null),
    addButton(id, label, tip, onClick) {
      const button = h('button', { id, type: 'button', title: tip, class: 'planning-button' }, label);
      button.addEventListener('click', onClick);
      actions?.insertBefore(button, user);
      return button;
    },
  };
  close.addEventListener('click', () => shell.hide());
  return shell;
}

export function mountPlanning(ctx: PlanningContext): void {
  const permissions = new Set(ctx.me.permissions);
  if (permissions.has('run_scenarios')) {
    const shell = createShell();
    mountScenario(ctx, shell);
    mountSimulation(ctx, shell);
  }
  if (permissions.has('export')) mountReport(ctx);
}
