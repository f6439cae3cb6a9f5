/** Keyboard use of the control room: shortcuts (/ zone search, a alerts, [ and ] move the slider
 * 15 minutes, l back to live) that never fire while typing, and a zone search that opens the
 * zone and moves focus to its panel. */

export const SLIDER_STEP_MS = 15 * 60_000;

export interface Shortcuts {
  focusSearch(): void;
  openAlerts(): void;
  stepSlider(direction: -1 | 1): void;
  goLive(): void;
  closeZone(): void;
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function wireShortcuts(actions: Shortcuts): void {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      actions.closeZone();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const handlers: Record<string, () => void> = {
      '/': actions.focusSearch, a: actions.openAlerts, '[': () => actions.stepSlider(-1),
      ']': () => actions.stepSlider(1), l: actions.goLive,
    };
    const handler = handlers[e.key];
    if (!handler) return;
    e.preventDefault();
    handler();
  });
}

/** The zone a search text means: an exact name or id, else the only (or first) name containing it. */
export function findZone(text: string, zones: readonly { id: string; name: string }[]): string | null {
  const q = text.trim().toLowerCase();
  if (!q) return null;
  const exact = zones.find((z) => z.name.toLowerCase() === q || z.id === q);
  if (exact) return exact.id;
  return zones.find((z) => z.name.toLowerCase().startsWith(q))?.id
    ?? zones.find((z) => z.name.toLowerCase().includes(q))?.id ?? null;
}
