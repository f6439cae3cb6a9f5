/** A stored scenario run as the map draws it: each zone's baseline or scenario frame at one 15-minute
 * slot of the planned day, the zones whose level the scenario changes, and the advice due by then.
 * Pure, so the picture of any run at any moment is checked without WebGL (web/test/scenario.test.ts). */

import { levelRank } from '../levels';
import { zoneRenderFeature, type ZoneRenderFeature } from '../mapdata';
import { NO_DATA, type ZoneFrame } from '../timeline';
import type { Level, ZoneFeature } from '../types';

export type Side = 'baseline' | 'scenario';

export interface ScenarioPoint { p10: number; p50: number; p90: number; density: number; level: Level }
export interface ScenarioSlot { ts: string; local: string; baseline: ScenarioPoint; scenario: ScenarioPoint }
export interface ScenarioPeak { level: Level; level_at: string; p50: number; p50_at: string }
export interface ScenarioZone {
  zone_id: string;
  name: string;
  estimated: boolean;
  baseline_peak: ScenarioPeak;
  scenario_peak: ScenarioPeak;
  measures: string[];
  series: ScenarioSlot[];
}
export interface ScenarioAdvice {
  measure_id: string;
  measure: string;
  owner: string;
  level: Level;
  zone_id: string;
  zones: string[];
  start_by: string;
  expected_at: string;
  probability: number;
  reason: string;
  new?: boolean;
  earlier_minutes?: number | null;
}
/** The fields of a stored run (GET .../scenarios/{id}) the page reads. */
export interface ScenarioRun {
  id: string;
  name: string;
  description?: string | null;
  site: string;
  date: string;
  timezone: string;
  baseline_source: string;
  changes: unknown[];
  step_minutes: number;
  ran_at: string;
  zones: ScenarioZone[];
  advice: { baseline: ScenarioAdvice[]; scenario: ScenarioAdvice[] };
}

/** Number of slots in the run (all zones share the slots). */
export function slotCount(run: ScenarioRun): number {
  return run.zones[0]?.series.length ?? 0;
}

export function slotAt(run: ScenarioRun, slot: number): ScenarioSlot | null {
  return run.zones[0]?.series[clampSlot(run, slot)] ?? null;
}

export function clampSlot(run: ScenarioRun, slot: number): number {
  return Math.min(Math.max(Math.round(slot), 0), Math.max(slotCount(run) - 1, 0));
}

/** One zone's point as the map's frame (recorded-style: no forecast hull). */
export function frameOf(point: ScenarioPoint | undefined): ZoneFrame {
  if (!point) return NO_DATA;
  return { ...NO_DATA, kind: 'past', occupancy: point.p50, density: point.density, level: point.level };
}

export function scenarioFrames(run: ScenarioRun, slot: number, side: Side): Record<string, ZoneFrame> {
  const at = clampSlot(run, slot);
  return Object.fromEntries(run.zones.map((z) => [z.zone_id, frameOf(z.series[at]?.[side])]));
}

/** The zones drawn for one side at one slot (zones the run does not know are drawn without data). */
export function scenarioFeatures(
  zones: readonly ZoneFeature[], run: ScenarioRun, slot: number, side: Side, selected: string | null, heightScale = 1,
): ZoneRenderFeature[] {
  const frames = scenarioFrames(run, slot, side);
  return zones.map((z) => zoneRenderFeature(z, frames[z.id] ?? NO_DATA, z.id === selected, heightScale));
}

export interface LevelChange { zone: string; name: string; baseline: Level; scenario: Level }

/** Zones whose level differs between baseline and scenario at a slot, worst scenario first. */
export function levelChanges(run: ScenarioRun, slot: number): LevelChange[] {
  const at = clampSlot(run, slot);
  const changes: LevelChange[] = [];
  for (const z of run.zones) {
    const point = z.series[at];
    if (point && point.baseline.level !== point.scenario.level) {
      changes.push({ zone: z.zone_id, name: z.name, baseline: point.baseline.level, scenario: point.scenario.level });
    }
  }
  return changes.sort((a, b) => levelRank(b.scenario) - levelRank(a.scenario) || a.name.localeCompare(b.name));
}

/** The slot where the scenario differs most from the baseline (sum of level steps, then persons):
 * where a shared run opens, so the first look shows what the scenario is about. */
export function mostChangedSlot(run: ScenarioRun): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < slotCount(run); i++) {
    let steps = 0;
    let persons = 0;
    for (const z of run.zones) {
      const p = z.series[i];
      if (!p) continue;
      steps += Math.abs(levelRank(p.scenario.level) - levelRank(p.baseline.level));
      persons += Math.abs(p.scenario.p50 - p.baseline.p50);
    }
    const score = steps * 1e9 + persons;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** The scenario's advice split at a slot's time: measures that must have started by then, and later ones. */
export function adviceAt(run: ScenarioRun, slot: number): { due: ScenarioAdvice[]; later: ScenarioAdvice[] } {
  const point = slotAt(run, slot);
  const t = point ? Date.parse(point.ts) : Number.NEGATIVE_INFINITY;
  const due: ScenarioAdvice[] = [];
  const later: ScenarioAdvice[] = [];
  for (const a of run.advice.scenario) (Date.parse(a.start_by) <= t ? due : later).push(a);
  return { due, later };
}

/** Zones per level at a slot, for the counts in the scenario bar. */
export function levelTally(run: ScenarioRun, slot: number, side: Side): Record<Level, number> {
  const tally: Record<Level, number> = { green: 0, yellow: 0, orange: 0, red: 0, unknown: 0 } as Record<Level, number>;
  const at = clampSlot(run, slot);
  for (const z of run.zones) {
    const level = z.series[at]?.[side].level;
    if (level) tally[level] = (tally[level] ?? 0) + 1;
  }
  return tally;
}
