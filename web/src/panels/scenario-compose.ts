/** Composing a scenario in the page: the form's values → a scenario document as the API takes it
 * (src/csm/scenario/schema.py). Pure; the server validates again and names every problem. */

export interface EventInput { zone: string; visitors: number; start: string; end: string; name?: string }
export interface ClosedRouteInput { from: string; to: string; reason?: string }
export interface TramOutageInput { line: string; stop: string; start: string; end: string }
export interface GarageFullInput { garage: string; start: string; end: string }
export interface HeatInput { temperature: number }

export interface ComposeInput {
  name: string;
  date: string;
  event?: EventInput | null;
  closedRoute?: ClosedRouteInput | null;
  tramOutage?: TramOutageInput | null;
  garageFull?: GarageFullInput | null;
  heat?: HeatInput | null;
}

export type ScenarioDocument = Record<string, unknown> & { name: string; changes: Record<string, unknown>[] };

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_VISITORS = 2_000_000;

/** The document, or the problems that keep it from being one (each in words a planner reads). */
export function composeScenario(input: ComposeInput): { document: ScenarioDocument | null; problems: string[] } {
  const problems: string[] = [];
  const changes: Record<string, unknown>[] = [];
  const name = input.name.trim();
  if (!name) problems.push('Give the scenario a name.');
  if (name.length > 200) problems.push('The name is longer than 200 characters.');
  if (!DATE.test(input.date) || Number.isNaN(Date.parse(input.date))) problems.push('Choose the day (a date).');
  const times = (what: string, start: string, end: string, ordered: boolean): void => {
    if (!TIME.test(start) || !TIME.test(end)) problems.push(`${what}: give start and end as HH:MM.`);
    else if (ordered ? end <= start : end === start) problems.push(`${what}: the end must be ${ordered ? 'after' : 'other than'} the start.`);
  };
  if (input.event) {
    const e = input.event;
    if (!e.zone) problems.push('Event: choose the zone.');
    if (!Number.isInteger(e.visitors) || e.visitors < 1 || e.visitors > MAX_VISITORS) {
      problems.push(`Event: expected visitors must be a whole number from 1 to ${MAX_VISITORS.toLocaleString('en')}.`);
    }
    times('Event', e.start, e.end, false);
    changes.push({ kind: 'event', name: e.name?.trim() || name, zone: e.zone, visitors: e.visitors, start: e.start, end: e.end });
  }
  if (input.closedRoute) {
    const r = input.closedRoute;
    if (!r.from || !r.to || r.from === r.to) problems.push('Closed route: choose two different zones.');
    changes.push({ kind: 'closed_route', between: [r.from, r.to], ...(r.reason?.trim() ? { reason: r.reason.trim() } : {}) });
  }
  if (input.tramOutage) {
    const t = input.tramOutage;
    if (!t.line.trim()) problems.push('Tram outage: give the line.');
    if (!t.stop) problems.push('Tram outage: choose the stop.');
    times('Tram outage', t.start, t.end, true);
    changes.push({ kind: 'tram_outage', line: t.line.trim(), stops: [t.stop], start: t.start, end: t.end });
  }
  if (input.garageFull) {
    const g = input.garageFull;
    if (!g.garage) problems.push('Full garage: choose the garage.');
    times('Full garage', g.start, g.end, true);
    changes.push({ kind: 'garage_full', garage: g.garage, start: g.start, end: g.end });
  }
  if (input.heat) {
    const { temperature } = input.heat;
    if (!Number.isFinite(temperature) || temperature < -20 || temperature > 50) problems.push('Heat: temperature from -20 to 50 °C.');
    changes.push({ kind: 'heat_wave', temperature_c: temperature });
  }
  if (!changes.length) problems.push('Add at least one change (event, closed route, tram outage, full garage or heat).');
  if (problems.length) return { document: null, problems };
  return { document: { name, date: input.date, baseline: 'auto', changes }, problems };
}

/** A problem list from the API's 422 answer (`problems` with path and message), as lines. */
export function problemLines(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const problems = (body as { problems?: unknown }).problems;
  if (!Array.isArray(problems)) return [];
  return problems.slice(0, 20).map((p) => {
    const { path, message } = (p ?? {}) as { path?: unknown; message?: unknown };
    return `${typeof path === 'string' && path ? `${path}: ` : ''}${typeof message === 'string' ? message : 'invalid'}`;
  });
}
