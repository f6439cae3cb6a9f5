/** Formatting for operators: short, unambiguous, in the site's time zone. */

const COUNT_FORMAT = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return COUNT_FORMAT.format(Math.round(value));
}

/** The one rounding rule for every number shown against a threshold: round DOWN to `digits`
 * decimals. A density of 1.996 shows as 1.99 (orange, below a red threshold of 2.00), never as a
 * "2.00" that is not red; any value at or above a threshold shows at or above it. */
export function floorTo(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.floor(value * f + 1e-9) / f;
}

export function formatDensity(value: number | null | undefined, unit = true): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const shown = floorTo(value).toFixed(2);
  return unit ? `${shown} p/m²` : shown;
}

/** "in 12 min", "35 min ago", "now": recomputed at every render, so it never goes stale. */
export function formatRelative(ms: number, nowMs: number): string {
  const minutes = Math.round((ms - nowMs) / 60_000);
  if (minutes === 0) return 'now';
  const span = formatAge(Math.abs(minutes) * 60);
  return minutes > 0 ? `in ${span}` : `${span} ago`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return `${Math.round(value * 100)}%`;
}

/** "just now", "45 s", "12 min", "3 h 5 min", "2 d" — the age of data. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return 'never';
  const s = Math.max(0, Math.round(seconds));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  return `${Math.floor(hours / 24)} d`;
}

/** Seconds between an ISO timestamp and now (both server time), or null. */
export function ageSeconds(iso: string | null | undefined, nowMs: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : (nowMs - t) / 1000;
}

/** One formatter per (kind, time zone): building an Intl.DateTimeFormat costs about a millisecond, and
 * a page with a thousand zones and their alerts formats thousands of times per render. */
const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();

function dateFormat(kind: 'clock' | 'datetime', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let format = DATE_FORMATS.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', kind === 'clock'
      ? { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }
      : { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
    DATE_FORMATS.set(key, format);
  }
  return format;
}

/** HH:MM in the site's time zone (24 h). */
export function formatClock(ms: number, timeZone: string): string {
  return dateFormat('clock', timeZone).format(ms);
}

/** "Sat 18 Jul 14:05" in the site's time zone. */
export function formatDateTime(ms: number, timeZone: string): string {
  return dateFormat('datetime', timeZone).format(ms).replace(',', '');
}

/** A signed offset from now for the time slider: "now", "−2 h 15 min", "+45 min". */
export function formatOffset(ms: number): string {
  const minutes = Math.round(ms / 60000);
  if (minutes === 0) return 'now';
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  if (h === 0) return `${sign}${m} min`;
  return m ? `${sign}${h} h ${m} min` : `${sign}${h} h`;
}

/** Lead time of advice: how long before the expected crossing the measure must start. */
export function formatLeadTime(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || Number.isNaN(minutes)) return '–';
  if (minutes <= 0) return 'now';
  return formatAge(minutes * 60).replace('just now', 'now');
}

export function formatProbability(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '–';
  return `${Math.round(p * 100)}%`;
}
