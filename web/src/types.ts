/**
 * Shapes of the API answers the dashboard reads (the API is the only contract with the server).
 *
 * Generated: these are aliases of web/src/api-types.ts, which openapi-typescript writes from the
 * API's OpenAPI document (web/openapi.json, exported by tools/export_openapi.py). Change a shape
 * in src/csm/api/schemas (Python), then run `make api-types`; `make lint` fails when they drift.
 */
import type { components } from './api-types';

type Schemas = components['schemas'];

export type Level = Schemas['LegendRow']['level'];
export type Thresholds = Schemas['Thresholds'];
export type LegendRow = Schemas['LegendRow'];
export type SiteSummary = Schemas['SiteSummary'];
export type Me = Schemas['Me'];
export type ZoneProperties = Schemas['ZoneProperties'];
export type ZoneFeature = Schemas['ZoneFeature'];
export type ZoneCollection = Schemas['ZoneCollection'];
export type SourceFreshness = Schemas['SourceFreshnessModel'];
export type ZoneState = Schemas['ZoneStateModel'];
export type ZoneStatesAnswer = Schemas['ZoneStatesAnswer'];
export type HistoryPoint = Schemas['HistoryPoint'];
export type HistoryAnswer = Schemas['HistoryAnswer'];
export type ForecastPoint = Schemas['ForecastPoint'];
export type ForecastAnswer = Schemas['ForecastAnswer'];
export type SourceStatus = Schemas['SourceStatus'];
export type Alert = Schemas['Alert'];
export type AlertsAnswer = Schemas['AlertsAnswer'];
export type Advice = Schemas['AdviceItem'];
export type AdviceAnswer = Schemas['AdviceAnswer'];

/** The live stream (WebSocket, not in OpenAPI): a snapshot on connect, then the zones that changed. */
export interface StreamMessage {
  type: 'snapshot' | 'update';
  as_of: string | null;
  zones: ZoneState[];
}

/** On the same stream: alerts, advice or sources changed (reread them; the notice carries no content). */
export interface StreamNotice {
  type: 'changed';
  topic: 'alerts' | 'advice' | 'sources';
  alert_id?: string;
  zone_id?: string;
  source?: string;
}
