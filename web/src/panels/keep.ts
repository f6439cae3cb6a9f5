/** Re-rendering panels that hold forms: a panel whose input the operator is typing in is left
 * alone (its text and focus survive the 5-second refresh), and focus returns to the control with
 * the same `data-key` after a redraw. */

import { fill } from '../dom';

type Child = Parameters<typeof fill>[1];

export function typingIn(element: HTMLElement): boolean {
  const active = document.activeElement;
  return active instanceof HTMLElement && element.contains(active)
    && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA' || active.tagName === 'SELECT');
}

export function refill(element: HTMLElement, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && element.contains(active) ? active.dataset.key : undefined;
  fill(element, ...children);
  if (key) element.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

/** A non-colour mark for a level (shape + word), until web-map's levels.ts exports levelMark. */
export function levelMark(level: string): string {
  return { red: '▲▲▲', orange: '▲▲', yellow: '▲', green: '●' }[level] ?? '○';
}
