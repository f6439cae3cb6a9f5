/** The compose form: an event at a zone, a closed route, a tram outage, a full garage, heat — each a
 * fieldset switched on by its checkbox; the document is built by scenario-compose.ts. */

import { getJson, siteUrl } from '../api';
import { h } from '../dom';
import { composeScenario, MAX_VISITORS, type ComposeInput, type ScenarioDocument } from './scenario-compose';
import type { PlanningContext } from './scenario-mount';

type Field = HTMLInputElement | HTMLSelectElement;

export function composeForm(
  ctx: PlanningContext, onRun: (doc: ScenarioDocument) => void, onProblems: (problems: string[]) => void,
): HTMLFormElement {
  const zones = ctx.zones.map((z) => ({ id: z.id, name: z.properties.name, kind: z.properties.kind }));
  const zoneSelect = (id: string, kinds?: string[]): HTMLSelectElement => h('select', { id, name: id },
    ...zones.filter((z) => !kinds || kinds.includes(z.kind)).map((z) => h('option', { value: z.id }, z.name)));
  const input = (id: string, type: string, value: string, extra: Record<string, string | number> = {}): HTMLInputElement =>
    h('input', { id, name: id, type, value, ...extra });
  const label = (text: string, field: Field): HTMLLabelElement => h('label', {}, text, field);
  const garage = h('select', { id: 'sc-garage', name: 'sc-garage' });
  void getJson<{ facilities: { id: string }[] }>(siteUrl(ctx.site.id, '/parking')).then((answer) => {
    garage.replaceChildren(...answer.facilities.map((f) => h('option', { value: f.id }, f.id)));
  }).catch(() => garage.replaceChildren(h('option', { value: '' }, 'no garages known')));

  const f = {
    name: input('sc-name', 'text', 'My scenario', { maxlength: 200 }),
    date: input('sc-date', 'date', new Date().toISOString().slice(0, 10)),
    eventOn: input('sc-event-on', 'checkbox', '1'),
    eventZone: zoneSelect('sc-event-zone'),
    visitors: input('sc-visitors', 'number', '10000', { min: 1, max: MAX_VISITORS, step: 1 }),
    eventStart: input('sc-event-start', 'time', '14:00'),
    eventEnd: input('sc-event-end', 'time', '18:00'),
    routeOn: input('sc-route-on', 'checkbox', '1'),
    routeFrom: zoneSelect('sc-route-from'),
    routeTo: zoneSelect('sc-route-to'),
    tramOn: input('sc-tram-on', 'checkbox', '1'),
    tramLine: input('sc-tram-line', 'text', '1', { maxlength: 20 }),
    tramStop: zoneSelect('sc-tram-stop', ['tram_stop']),
    tramStart: input('sc-tram-start', 'time', '13:00'),
    tramEnd: input('sc-tram-end', 'time', '18:00'),
    garageOn: input('sc-garage-on', 'checkbox', '1'),
    garageStart: input('sc-garage-start', 'time', '12:00'),
    garageEnd: input('sc-garage-end', 'time', '19:00'),
    heatOn: input('sc-heat-on', 'checkbox', '1'),
    heat: input('sc-heat', 'number', '33', { min: -20, max: 50, step: 0.5 }),
  };
  f.eventOn.checked = true;
  const square = zones.find((z) => z.kind === 'square');
  if (square) f.eventZone.value = square.id;
  const section = (on: HTMLInputElement, legend: string, ...fields: HTMLElement[]): HTMLFieldSetElement =>
    h('fieldset', {}, h('legend', {}, h('label', {}, on, ` ${legend}`)), ...fields);
  const form = h('form', { id: 'scenario-form', class: 'scenario-form', novalidate: true },
    label('Name', f.name), label('Day', f.date),
    section(f.eventOn, 'Event', label('Zone', f.eventZone), label('Expected visitors', f.visitors),
      label('Start', f.eventStart), label('End', f.eventEnd)),
    section(f.routeOn, 'Closed route', label('Between', f.routeFrom), label('and', f.routeTo)),
    section(f.tramOn, 'Tram outage', label('Line', f.tramLine), label('Stop', f.tramStop),
      label('From', f.tramStart), label('To', f.tramEnd)),
    section(f.garageOn, 'Full garage', label('Garage', garage), label('From', f.garageStart), label('To', f.garageEnd)),
    section(f.heatOn, 'Heat', label('Maximum °C', f.heat)),
    h('button', { type: 'submit', id: 'scenario-run', class: 'primary' }, 'Run scenario'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values: ComposeInput = {
      name: f.name.value, date: f.date.value,
      event: f.eventOn.checked ? { zone: f.eventZone.value, visitors: Number(f.visitors.value), start: f.eventStart.value,
        end: f.eventEnd.value } : null,
      closedRoute: f.routeOn.checked ? { from: f.routeFrom.value, to: f.routeTo.value } : null,
      tramOutage: f.tramOn.checked ? { line: f.tramLine.value, stop: f.tramStop.value, start: f.tramStart.value,
        end: f.tramEnd.value } : null,
      garageFull: f.garageOn.checked ? { garage: garage.value, start: f.garageStart.value, end: f.garageEnd.value } : null,
      heat: f.heatOn.checked ? { temperature: Number(f.heat.value) } : null,
    };
    const { document: doc, problems } = composeScenario(values);
    if (doc) onRun(doc);
    else onProblems(problems);
  });
  return form;
}
