/** Views per role: owners in words and the caller's own measures and alerts first. The API
 * decides what each role sees; this only orders and names what it was given. */

import { levelRank } from './levels';
import type { ControlAdvice, ControlAlert } from './types-control';

const FALLBACK_LABELS: Record<string, string> = {
  municipality: 'Municipality', police: 'Police', emergency_services: 'Ambulance / emergency services',
  transport_operator: 'Public transport operator', organiser: 'Event organiser',
};

export function ownerLabel(owner: string, labels: Record<string, string> | undefined): string {
  return labels?.[owner] ?? FALLBACK_LABELS[owner] ?? owner.replace(/_/g, ' ');
}

/** The caller's own advice first (keeping the API's ranking within each part). */
export function ownAdviceFirst(advice: readonly ControlAdvice[], owner: string | null): ControlAdvice[] {
  if (!owner) return [...advice];
  return [...advice.filter((a) => a.owner === owner), ...advice.filter((a) => a.owner !== owner)];
}

export function isOwnAlert(alert: ControlAlert, owner: string | null): boolean {
  return owner !== null && (alert.measures ?? []).some((m) => m.owner === owner);
}

/** Unresolved alerts: the caller's own first, then the most severe, then the newest. */
export function alertsInOrder(alerts: readonly ControlAlert[], owner: string | null): ControlAlert[] {
  return alerts.filter((a) => a.status !== 'resolved')
    .map((a, i) => ({ a, i }))
    .sort((x, y) => Number(isOwnAlert(y.a, owner)) - Number(isOwnAlert(x.a, owner))
      || levelRank(y.a.level) - levelRank(x.a.level) || x.i - y.i)
    .map(({ a }) => a);
}
