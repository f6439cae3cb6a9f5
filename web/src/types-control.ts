/** Shapes of the control-room answers (alert lifecycle, incident log, role view) that are not in
 * the generated types.ts yet; kept apart so regenerating types.ts does not touch them. */

import type { Advice, Alert, Level } from './types';

export interface AdvisedMeasure {
  id: string;
  measure: string;
  owner: string;
  owner_label: string;
}

export interface AlertStep {
  status: string;
  at: string;
  by: string | null;
  note?: string | null;
  measure?: string | null;
}

/** An alert as GET alerts returns it: with its history, the measures to pick from and the steps
 * the caller may take (the API decides). */
export interface ControlAlert extends Alert {
  measures?: AdvisedMeasure[];
  actions?: ('ack' | 'measure' | 'resolve')[];
  zone_stale?: boolean;
  history: AlertStep[];
  measures_taken: { measure: string | null; by: string | null; at: string; note?: string | null }[];
}

export interface ControlAdvice extends Advice {
  owner_label?: string;
  stale_zones?: string[];
}

export interface IncidentEntry {
  at: string;
  alert_id: string;
  zone_id: string;
  zone_name: string;
  level: Level;
  kind: string;
  step: 'raised' | 'acknowledged' | 'measure_taken' | 'resolved';
  actor: string;
  measure: string | null;
  measure_text: string | null;
  note: string | null;
  message: string;
}

export interface IncidentLog {
  site: string;
  site_name: string;
  day: string;
  timezone: string;
  generated_at: string;
  generated_by: string;
  entries: IncidentEntry[];
}

export interface RoleView {
  role: string | null;
  owner: string | null;
  owner_labels: Record<string, string>;
  context: { type: 'FeatureCollection'; features: { type: 'Feature'; id: string; geometry: unknown;
    properties: { id: string; name: string } }[] };
}
