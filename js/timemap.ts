/**
 * Data time <-> media time, the same formulas as tsvideo_widget/timemap.py.
 *
 * Times on the data side are relative seconds since the first sample. The
 * mapping never depends on the detail window's width (the recipe this project
 * replaces divided by `tEnd - t0 - (r1 - r0)`, which drifts as the window grows).
 */

export interface TimeMap {
  /** Data span t_end - t0, seconds. */
  span: number;
  /** Media duration in seconds, or null before the metadata loaded. */
  duration: number | null;
  /** Media seconds at t0; null selects the proportional mapping. */
  offset: number | null;
  /** Media seconds per data second when offset is set. */
  rate: number;
  /**
   * A piecewise mapping (overrides offset and rate): [rel, media] knots,
   * increasing in both; the end segments extend past the end knots. Absent or
   * null for none.
   */
  knots?: ReadonlyArray<readonly [number, number]> | null;
}

type Knots = ReadonlyArray<readonly [number, number]>;

/** The two knots whose segment holds `v` on `axis` (0 data, 1 media); the end segments outside. */
function segment(k: Knots, v: number, axis: 0 | 1): [readonly [number, number], readonly [number, number]] {
  let i = 1;
  while (i < k.length - 1 && v >= k[i][axis]) i++;
  return [k[i - 1], k[i]];
}

/** Media seconds per data second under `m` (1 while a proportional mapping's duration is unknown). */
export function scale(m: TimeMap): number {
  const k = m.knots;
  if (k && k.length >= 2) return (k[k.length - 1][1] - k[0][1]) / (k[k.length - 1][0] - k[0][0]);
  if (m.offset !== null) return m.rate;
  if (m.duration === null || !(m.span > 0)) return 1;
  return m.duration / m.span;
}

/** Media seconds per data second at relative data time `rel` (the local rate: piecewise mappings vary). */
export function slopeAt(rel: number, m: TimeMap): number {
  const k = m.knots;
  if (!k || k.length < 2) return scale(m);
  const [a, b] = segment(k, rel, 0);
  return (b[1] - a[1]) / (b[0] - a[0]);
}

/** Media seconds shown at relative data time `rel`. */
export function toMedia(rel: number, m: TimeMap): number {
  const k = m.knots;
  if (k && k.length >= 2) {
    const [a, b] = segment(k, rel, 0);
    return a[1] + ((rel - a[0]) * (b[1] - a[1])) / (b[0] - a[0]);
  }
  if (m.offset !== null) return rel * m.rate + m.offset;
  return rel * scale(m);
}

/** Relative data seconds shown at media time `media`. */
export function toData(media: number, m: TimeMap): number {
  const k = m.knots;
  if (k && k.length >= 2) {
    const [a, b] = segment(k, media, 1);
    return a[0] + ((media - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
  }
  if (m.offset !== null) return (media - m.offset) / m.rate;
  return media / scale(m);
}

/** Data seconds covered by `mediaWidth` media seconds. */
export function dataWidth(mediaWidth: number, m: TimeMap): number {
  return mediaWidth / scale(m);
}
