/** Small planar geometry on lon/lat rings: good enough inside one site (a few km). */

export type Position = [number, number];

function ringOf(coordinates: number[][]): Position[] {
  const ring = coordinates.map((c) => [c[0] ?? 0, c[1] ?? 0] as Position);
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (ring.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) ring.pop();
  return ring;
}

/** Signed area and area-weighted centroid of a ring (shoelace). */
export function ringCentroid(coordinates: number[][]): { area: number; centroid: Position } {
  const ring = ringOf(coordinates);
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x0, y0] = ring[i] as Position;
    const [x1, y1] = ring[(i + 1) % ring.length] as Position;
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  area /= 2;
  if (Math.abs(area) < 1e-15) {
    const n = ring.length || 1;
    return { area: 0, centroid: [ring.reduce((s, p) => s + p[0], 0) / n, ring.reduce((s, p) => s + p[1], 0) / n] };
  }
  return { area, centroid: [cx / (6 * area), cy / (6 * area)] };
}

export function pointInRing(point: Position, coordinates: number[][]): boolean {
  const ring = ringOf(coordinates);
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as Position;
    const [xj, yj] = ring[j] as Position;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A point inside the ring: the centroid if it is inside (convex shapes), otherwise the middle of
 * the widest inside stretch on the horizontal line through the centroid (L- and U-shapes). */
export function interiorPoint(coordinates: number[][]): Position {
  const { centroid } = ringCentroid(coordinates);
  if (pointInRing(centroid, coordinates)) return centroid;
  const ring = ringOf(coordinates);
  const ys = ring.map((p) => p[1]).sort((a, b) => a - b);
  const candidates = [centroid[1], ...ys.slice(0, -1).map((y, i) => (y + (ys[i + 1] ?? y)) / 2)];
  for (const y of candidates) {
    const xs: number[] = [];
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i] as Position;
      const [xj, yj] = ring[j] as Position;
      if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
    xs.sort((a, b) => a - b);
    let best: Position | null = null;
    let width = 0;
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const w = (xs[k + 1] as number) - (xs[k] as number);
      if (w > width) {
        width = w;
        best = [((xs[k] as number) + (xs[k + 1] as number)) / 2, y];
      }
    }
    if (best) return best;
  }
  return centroid;
}

/** The outer ring of a zone's largest polygon. */
export function outerRing(
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] },
): number[][] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best: number[][] = [];
  let bestArea = -1;
  for (const polygon of polygons) {
    const ring = polygon[0] ?? [];
    const area = Math.abs(ringCentroid(ring).area);
    if (area > bestArea) {
      bestArea = area;
      best = ring;
    }
  }
  return best;
}

/** [west, south, east, north] of all rings. */
export function bounds(rings: number[][][]): [number, number, number, number] | null {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const ring of rings) {
    for (const [x, y] of ring) {
      if (x === undefined || y === undefined) continue;
      w = Math.min(w, x);
      e = Math.max(e, x);
      s = Math.min(s, y);
      n = Math.max(n, y);
    }
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/** A map bearing (degrees) that lays the site's long axis horizontally on screen: the principal
 * axis of all vertices, in local metres. Long boulevards then fill the width of the view. */
export function principalBearing(rings: number[][][]): number {
  const points: Position[] = [];
  for (const ring of rings) for (const [x, y] of ring) if (x !== undefined && y !== undefined) points.push([x, y]);
  if (points.length < 2) return 0;
  const lat0 = points.reduce((s, p) => s + p[1], 0) / points.length;
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const xs = points.map((p) => p[0] * kx);
  const ys = points.map((p) => p[1]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const angle = (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI; // of the major axis, from east, counter-clockwise
  let bearing = -angle;
  if (bearing <= -90) bearing += 180;
  if (bearing > 90) bearing -= 180;
  return Math.round(bearing) || 0; // no -0
}

/** The bearing that lays the zones' long axis along the screen's long side: the principal bearing
 * on a landscape screen, turned a quarter on a portrait one (a phone held upright would otherwise
 * show a long boulevard a few pixels tall). Of the two quarter turns, the one that keeps north in
 * the upper half (|bearing| ≤ 90). */
export function screenBearing(principal: number, width: number, height: number): number {
  if (height <= width) return principal;
  const turned = principal + 90;
  return turned > 90 ? turned - 180 : turned;
}
