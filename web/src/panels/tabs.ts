/** The side column as tabs (alerts, advice, sources, log): everything one click away instead of a
 * 5,000 px column. On tablets and phones the column is a bottom sheet whose tab bar stays visible. */

import { byId, fill, h } from '../dom';
import type { SideTab } from '../store';

export const TABS: { id: SideTab; label: string; panel: string }[] = [
  { id: 'alerts', label: 'Alerts', panel: 'alerts-panel' },
  { id: 'advice', label: 'Advice', panel: 'advice-panel' },
  { id: 'sources', label: 'Sources', panel: 'sources-panel' },
  { id: 'log', label: 'Log', panel: 'log-panel' },
];

export interface TabsView {
  active: SideTab;
  badges: Partial<Record<SideTab, string>>;
  sheetOpen: boolean;
  onOpen(tab: SideTab): void;
}

export function renderTabs(view: TabsView): void {
  const bar = byId('side-tabs');
  const focused = document.activeElement instanceof HTMLElement && bar.contains(document.activeElement)
    ? document.activeElement.dataset.tab : undefined;
  const move = (e: KeyboardEvent, index: number): void => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length];
    if (next) view.onOpen(next.id);
  };
  fill(bar, ...TABS.map((tab, index) => h('button', {
    type: 'button', role: 'tab', id: `tab-${tab.id}`, 'data-tab': tab.id, 'aria-controls': tab.panel,
    'aria-selected': String(tab.id === view.active), tabindex: tab.id === view.active ? 0 : -1,
    onclick: () => view.onOpen(tab.id), onkeydown: (e: Event) => move(e as KeyboardEvent, index),
  }, tab.label, view.badges[tab.id] ? h('span', { class: 'tab-badge' }, view.badges[tab.id]) : null)));
  if (focused) bar.querySelector<HTMLElement>(`[data-tab="${view.active}"]`)?.focus();
  for (const tab of TABS) {
    const panel = byId(tab.panel);
    panel.hidden = tab.id !== view.active;
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', `tab-${tab.id}`);
  }
  document.body.dataset.sheet = view.sheetOpen ? 'open' : 'closed';
}
