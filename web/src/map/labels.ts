/** Map labels as HTML over the canvas, placed without overlap: zone names with their level mark,
 * landmarks, street names, tram stops and emergency posts. HTML needs no glyph server, so labels
 * work offline; collisions are resolved by priority on every frame the map moves. */

import type * as maplibregl from 'maplibre-gl';

import type { Position } from '../geometry';

export type LabelKind = 'zone' | 'post' | 'landmark' | 'street' | 'tram-stop';

export interface LabelSpec {
  id: string;
  kind: LabelKind;
  text: string;
  at: Position;
  /** Higher wins a collision. */
  priority: number;
  /** Extra CSS classes (a zone's level) and a full title for hover and screen readers. */
  classes?: string[];
  title?: string;
}

interface Placed {
  spec: LabelSpec;
  element: HTMLDivElement;
}

const MARGIN = 3;

/** Greedy placement by priority: the boxes that fit on screen without overlap. Pure. */
export function placeLabels(
  boxes: { id: string; priority: number; x: number; y: number; width: number; height: number }[],
  width: number, height: number,
): Set<string> {
  const placed: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const shown = new Set<string>();
  for (const b of [...boxes].sort((a, c) => c.priority - a.priority)) {
    const box = { x0: b.x - b.width / 2 - MARGIN, y0: b.y - b.height / 2 - MARGIN,
      x1: b.x + b.width / 2 + MARGIN, y1: b.y + b.height / 2 + MARGIN };
    if (box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height) continue;
    if (placed.some((p) => box.x0 < p.x1 && box.x1 > p.x0 && box.y0 < p.y1 && box.y1 > p.y0)) continue;
    placed.push(box);
    shown.add(b.id);
  }
  return shown;
}

export class LabelLayer {
  private readonly root: HTMLDivElement;
  private readonly labels = new Map<string, Placed>();
  private frame = 0;
  private sizes = new Map<string, { width: number; height: number }>();

  constructor(private readonly map: maplibregl.Map) {
    this.root = document.createElement('div');
    this.root.className = 'map-labels';
    this.root.setAttribute('aria-hidden', 'true'); // the panels carry the same names for screen readers
    map.getCanvasContainer().appendChild(this.root);
    map.on('render', () => this.schedule());
    map.on('resize', () => this.schedule());
  }

  /** Replace the labels of one kind (others stay). */
  setLabels(kind: LabelKind, specs: LabelSpec[]): void {
    const keep = new Set(specs.map((s) => s.id));
    for (const [id, placed] of this.labels) {
      if (placed.spec.kind === kind && !keep.has(id)) {
        placed.element.remove();
        this.labels.delete(id);
        this.sizes.delete(id);
      }
    }
    for (const spec of specs) {
      let placed = this.labels.get(spec.id);
      if (!placed) {
        const element = document.createElement('div');
        this.root.appendChild(element);
        placed = { spec, element };
        this.labels.set(spec.id, placed);
      }
      const changed = placed.element.textContent !== spec.text;
      placed.spec = spec;
      placed.element.className = ['map-label', `map-label-${spec.kind}`, ...(spec.classes ?? [])].join(' ');
      placed.element.textContent = spec.text;
      placed.element.dataset.labelId = spec.id;
      if (spec.title) placed.element.title = spec.title;
      if (changed) this.sizes.delete(spec.id);
    }
    this.schedule();
  }

  /** Labels on screen now (for tests and scripts). */
  visible(): { id: string; kind: LabelKind; text: string }[] {
    return [...this.labels.values()]
      .filter((p) => p.element.style.display !== 'none')
      .map((p) => ({ id: p.spec.id, kind: p.spec.kind, text: p.spec.text }));
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  private layout(): void {
    const canvas = this.map.getCanvas();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const boxes = [];
    const points = new Map<string, { x: number; y: number }>();
    // Measure new labels in two passes (show all, then read all): one reflow, not one per label.
    const unmeasured = [...this.labels].filter(([id]) => !this.sizes.has(id));
    for (const [, { element }] of unmeasured) element.style.display = '';
    for (const [id, { element }] of unmeasured) this.sizes.set(id, { width: element.offsetWidth, height: element.offsetHeight });
    for (const [id, { spec }] of this.labels) {
      const size = this.sizes.get(id) ?? { width: 0, height: 0 };
      const p = this.map.project(spec.at);
      points.set(id, p);
      boxes.push({ id, priority: spec.priority, x: p.x, y: p.y, ...size });
    }
    const shown = placeLabels(boxes, width, height);
    for (const [id, { element }] of this.labels) {
      const p = points.get(id);
      if (!p || !shown.has(id)) {
        element.style.display = 'none';
        continue;
      }
      element.style.display = '';
      element.style.transform = `translate(${Math.round(p.x)}px, ${Math.round(p.y)}px) translate(-50%, -50%)`;
    }
  }
}

/** A point to write a line's name at: the middle of its longest segment. */
export function lineLabelPoint(coordinates: Position[]): Position | null {
  let best: Position | null = null;
  let longest = -1;
  for (let i = 1; i < coordinates.length; i++) {
    const a = coordinates[i - 1];
    const b = coordinates[i];
    if (!a || !b) continue;
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (length > longest) {
      longest = length;
      best = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    }
  }
  return best;
}
