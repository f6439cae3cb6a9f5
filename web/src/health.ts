/** Data health in one line for the header ("live · 11 of 18 zones stale · traffic, weather
 * failing") and source errors in plain words: an operator must see at a glance whether the
 * picture can be trusted, without reading parser messages. */

import type { SourceStatus, ZoneState } from './types';

export type HealthLevel = 'ok' | 'warn' | 'bad';

export interface DataHealth {
  text: string;
  level: HealthLevel;
  staleZones: number;
  failing: string[];
}

export function dataHealth(
  connection: string, live: Record<string, ZoneState>, sources: SourceStatus[] | null, zoneCount: number,
): DataHealth {
  const stale = Object.values(live).filter((z) => z.stale).length;
  const failing = (sources ?? []).filter((s) => s.status === 'failing').map((s) => s.name);
  const parts = [connection];
  if (stale) parts.push(`${stale} of ${zoneCount} zones stale`);
  if (failing.length) parts.push(`${failing.join(', ')} failing`);
  const level: HealthLevel = connection !== 'live' || failing.length || stale * 3 > zoneCount
    ? 'bad' : stale ? 'warn' : 'ok';
  return { text: parts.join(' · '), level, staleZones: stale, failing };
}

/** A source's last error as a sentence an operator understands; the raw text stays available
 * as a tooltip for the technician. */
export function plainError(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const text = raw.toLowerCase();
  if (/xml|parse|syntax|unexpected (token|end)|not well-formed|json|decode/.test(text)) {
    return 'The feed sent data that could not be read.';
  }
  if (/timed? ?out|timeout/.test(text)) return 'The feed did not answer in time.';
  if (/refused|unreachable|name or service|resolve|connect/.test(text)) return 'The feed could not be reached.';
  const status = /\b([45]\d\d)\b/.exec(raw);
  if (status) return `The feed answered with an error (HTTP ${status[1]}).`;
  if (/auth|401|403|forbidden|unauthori/.test(text)) return 'The feed refused our credentials.';
  return 'The feed failed; see details.';
}
