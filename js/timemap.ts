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
}

/** Media seconds per data second under `m` (1 while a proportional mapping's duration is unknown). */
export function scale(m: TimeMap): number {
  if (m.offset !== null) return m.rate;
  if (m.duration === null || !(m.span > 0)) return 1;
  return m.duration / m.span;
}

/** Media seconds shown at relative data time `rel`. */
export function toMedia(rel: number, m: TimeMap): number {
  if (m.offset !== null) return rel * m.rate + m.offset;
  return rel * scale(m);
}

/** Relative data seconds shown at media time `media`. */
export function toData(media: number, m: TimeMap): number {
  if (m.offset !== null) return (media - m.offset) / m.rate;
  return media / scale(m);
}

/** Data seconds covered by `mediaWidth` media seconds. */
export function dataWidth(mediaWidth: number, m: TimeMap): number {
  return mediaWidth / scale(m);
}
