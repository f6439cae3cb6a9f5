/** Shapes of the API answers the dashboard reads (the API is the only contract with the server). */

export type Level = 'green' | 'yellow' | 'orange' | 'red' | 'unknown';

export interface Thresholds {
  yellow: number;
  orange: number;
  red: number;
}

export interface LegendRow {
  level: Level;
  density_from: number;
  density_to: number | null;
  meaning: string;
}

export interface SiteSummary {
  id: string;
  name: string;
  timezone: string;
  center: [number, number] | null;
  zoom: number;
  basemap_style_url: string | null;
  zone_count: number;
  sensor_count: number;
  levels: LegendRow[];
  layers?: string[];
}

export interface Me {
  username: string;
  role: string | null;
  permissions: string[];
}

export interface ZoneProperties {
  id: string;
  name: string;
  walkable_area_m2: number;
  capacity: number;
  kind: string;
  group: string | null;
  thresholds: Thresholds;
}

export interface ZoneFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
  properties: ZoneProperties;
}

export interface ZoneCollection {
  type: 'FeatureCollection';
  features: ZoneFeature[];
}

export interface SourceFreshness {
  sensor_id: string;
  kind: string;
  last_interval_end: string | null;
  age_seconds: number | null;
  stale: boolean;
}

export interface ZoneState {
  zone_id: string;
  name: string;
  occupancy: number | null;
  density_per_m2: number | null;
  level: Level;
  capacity: number;
  walkable_area_m2: number;
  utilisation: number | null;
  stale: boolean;
  as_of: string;
  last_data_at: string | null;
  sources: SourceFreshness[];
  suppressed?: boolean;
}

/** The live stream: a snapshot on connect, then the zones whose state changed. */
export interface StreamMessage {
  type: 'snapshot' | 'update';
  as_of: string | null;
  zones: ZoneState[];
}

export interface HistoryPoint {
  ts: string;
  occupancy: number | null;
  density: number | null;
  level: Level;
  stale: boolean;
}

export interface HistoryAnswer {
  site: string;
  until: string;
  zones: Record<string, HistoryPoint[]>;
}

export interface ForecastPoint {
  ts: string;
  p10: number | null;
  p50: number | null;
  p90: number | null;
  density_p50: number | null;
  level: Level;
  level_p90: Level;
}

export interface ForecastAnswer {
  site: string;
  issued_at: string | null;
  step: string;
  zones: Record<string, ForecastPoint[]>;
}

export interface SourceStatus {
  name: string;
  kind: string;
  status: 'ok' | 'stale' | 'failing' | 'disabled' | string;
  last_success: string | null;
  last_attempt: string | null;
  last_error: string | null;
  age_seconds: number | null;
  summary: string;
}

export interface Alert {
  id: string;
  zone_id: string;
  level: Level;
  kind: string;
  status: 'raised' | 'acknowledged' | 'measure_taken' | 'resolved';
  raised_at: string;
  message: string;
  expected_at: string | null;
  probability: number | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
}

export interface AlertsAnswer {
  site: string;
  as_of: string;
  alerts: Alert[];
}

export interface Advice {
  measure_id: string;
  measure: string;
  owner: string;
  level: Level;
  zone_id: string;
  zones: string[];
  start_by: string;
  expected_at: string;
  lead_time_minutes: number;
  probability: number;
  status: string;
  trigger: string;
  reason: string;
  sources: string[];
  alternatives?: { redirect_to: string[] };
}

export interface AdviceAnswer {
  site: string;
  as_of: string;
  advice: Advice[];
}
