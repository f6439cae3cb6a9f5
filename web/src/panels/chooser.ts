/** "Which zone?": when a tap on a phone lands between several small zones, the candidates are
 * offered as large buttons next to the finger instead of guessing (field officers tap while walking). */

import { byId, h } from '../dom';

export function showZoneChooser(
  ids: readonly string[], at: { x: number; y: number }, name: (id: string) => string, choose: (id: string) => void,
): void {
  document.getElementById('zone-chooser')?.remove();
  const wrap = byId('map').parentElement ?? document.body;
  const closeIt = (): void => chooser.remove();
  const chooser = h('div', { id: 'zone-chooser', class: 'zone-chooser', role: 'dialog', 'aria-label': 'Which zone?' },
    h('p', {}, 'Which zone?'),
    ...ids.map((id) => h('button', { type: 'button', 'data-zone': id, onclick: () => { closeIt(); choose(id); } }, name(id))),
    h('button', { type: 'button', class: 'cancel', onclick: closeIt }, 'Cancel'));
  const width = wrap.clientWidth;
  chooser.style.left = `${Math.max(8, Math.min(at.x - 90, width - 200))}px`;
  chooser.style.top = `${Math.max(8, at.y - 40)}px`;
  wrap.append(chooser);
  chooser.querySelector<HTMLButtonElement>('button')?.focus();
  chooser.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeIt(); });
}
