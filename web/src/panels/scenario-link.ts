/** Share links of stored runs: `#scenario=ID` and `#simulation=ID` open a run in the page (for a
 * role that may read it; the API answers 403 to any other). */

export type SharedKind = 'scenario' | 'simulation';
export interface Shared { kind: SharedKind; id: string }

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseShare(hash: string): Shared | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  for (const kind of ['scenario', 'simulation'] as const) {
    const id = params.get(kind);
    if (id !== null) return ID.test(id) ? { kind, id } : null;
  }
  return null;
}

export function shareHash(shared: Shared): string {
  return `#${shared.kind}=${encodeURIComponent(shared.id)}`;
}

/** The full link to give a colleague: this page, this site, the run. */
export function shareUrl(location: { origin: string; pathname: string; search: string }, shared: Shared): string {
  return `${location.origin}${location.pathname}${location.search}${shareHash(shared)}`;
}
