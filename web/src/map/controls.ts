/** Map controls beside the zoom buttons: a north arrow that turns with the map (click: north up),
 * the theme toggle and the emergency-layer toggle. Real buttons with names, for keyboards and
 * screen readers. */

import type * as maplibregl from 'maplibre-gl';

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'map-toggle';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

export class NorthArrow implements maplibregl.IControl {
  private container: HTMLDivElement | null = null;

  onAdd(map: maplibregl.Map): HTMLElement {
    const container = document.createElement('div');
    container.className = 'maplibregl-ctrl maplibregl-ctrl-group north-arrow';
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-label', 'North arrow: turn the map north up');
    b.title = 'North (click: north up)';
    const arrow = document.createElement('span');
    arrow.className = 'north-arrow-needle';
    arrow.textContent = '▲N';
    b.appendChild(arrow);
    b.addEventListener('click', () => map.easeTo({ bearing: 0, duration: 500 }));
    container.appendChild(b);
    const turn = (): void => {
      arrow.style.transform = `rotate(${-map.getBearing()}deg)`;
    };
    map.on('rotate', turn);
    turn();
    this.container = container;
    return container;
  }

  onRemove(): void {
    this.container?.remove();
  }
}

export interface ToggleSpec {
  id: string;
  label(on: boolean): string;
  title: string;
  initial: boolean;
  onChange(on: boolean): void;
}

/** A group of on/off buttons (aria-pressed) in a map corner. */
export class MapToggles implements maplibregl.IControl {
  private container: HTMLDivElement | null = null;

  constructor(private readonly toggles: ToggleSpec[]) {}

  onAdd(): HTMLElement {
    const container = document.createElement('div');
    container.className = 'maplibregl-ctrl map-toggles';
    for (const spec of this.toggles) {
      let on = spec.initial;
      const b = button(spec.label(on), spec.title, () => {
        on = !on;
        b.textContent = spec.label(on);
        b.setAttribute('aria-pressed', String(on));
        spec.onChange(on);
      });
      b.id = spec.id;
      b.setAttribute('aria-pressed', String(on));
      container.appendChild(b);
    }
    this.container = container;
    return container;
  }

  onRemove(): void {
    this.container?.remove();
  }
}
