/** Shapes of the training routes' answers: aliases of the generated web/src/api-types.ts. */
import type { components } from './api-types';

type Schemas = components['schemas'];

export type TrainingSession = Schemas['TrainingSessionInfo'];
export type TrainingIncident = Schemas['TrainingIncident'];
export type CatalogueEntry = Schemas['CatalogueEntry'];
export type TrainingAlert = Schemas['TrainingAlert'];
export type TrainingAlerts = Schemas['TrainingAlerts'];
export type TrainingLog = Schemas['TrainingLog'];
export type LogEntry = Schemas['LogEntry'];
export type Debrief = Schemas['Debrief'];
export type TrainingZones = Schemas['TrainingZoneStatesAnswer'];
