/**
 * The alignment check's lines as pure functions: a data channel and a media
 * feature over the same window of data time, each scaled to the canvas
 * height on its own (their units differ; their timing is what is compared).
 * The feature, sampled in media seconds, is placed at data time through the
 * track's mapping (toData), so after an alignment is applied the two line up.
 */

import type { Feature } from "./alignclient";
import { toPx, type Scale } from "./scale";
import { toData, toMedia, type TimeMap } from "./timemap";

/** Pixels kept free above and below a line. */
export const LINE_PAD_PX = 2;

/** A polyline: x0, y0, x1, y1, ... in canvas pixels. A line is several of them where it has gaps. */
export type Polyline = number[];

function finite(v: number | null | undefined): v is number {
  return v !== null && v !== undefined && Number.isFinite(v);
}

/**
 * The points (xs[i], ys[i]) with x in the window of `sc` (and one neighbour
 * each side, so the line reaches the edges) as polylines on a canvas
 * `sc.width` x `height`: y scaled so the visible minimum is at the bottom and
 * the maximum at the top (a flat line in the middle). Where more than two
 * points fall in a pixel column, each column keeps its first, lowest, highest
 * and last point, so peaks are never lost. A missing y splits the line.
 * `xs` must be sorted.
 */
export function seriesLines(xs: ArrayLike<number>, ys: ArrayLike<number | null>, sc: Scale, height: number): Polyline[] {
  const n = Math.min(xs.length, ys.length);
  let i0 = 0;
  while (i0 < n && xs[i0] < sc.lo) i0++;
  let i1 = i0;
  while (i1 < n && xs[i1] <= sc.hi) i1++;
  const a = Math.max(0, i0 - 1);
  const b = Math.min(n, i1 + 1);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = i0; i < i1; i++) {
    const v = ys[i];
    if (finite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return [];
  const usable = Math.max(height - 2 * LINE_PAD_PX, 1);
  const yOf = (v: number) => (hi > lo ? LINE_PAD_PX + ((hi - v) / (hi - lo)) * usable : height / 2);
  const dense = i1 - i0 > 2 * Math.max(sc.width, 1);
  const lines: Polyline[] = [];
  let line: Polyline = [];
  let col = NaN;
  let colPts: [number, number][] = [];
  const flushCol = () => {
    if (colPts.length <= 2) {
      for (const [x, v] of colPts) line.push(x, yOf(v));
    } else {
      let mn = colPts[0];
      let mx = colPts[0];
      for (const p of colPts) {
        if (p[1] < mn[1]) mn = p;
        if (p[1] > mx[1]) mx = p;
      }
      const first = colPts[0];
      const last = colPts[colPts.length - 1];
      const [p, q] = mn[0] <= mx[0] ? [mn, mx] : [mx, mn];
      for (const pt of [first, p, q, last]) line.push(pt[0], yOf(pt[1]));
    }
    colPts = [];
  };
  const breakLine = () => {
    flushCol();
    if (line.length >= 2) lines.push(line);
    line = [];
    col = NaN;
  };
  for (let i = a; i < b; i++) {
    const v = ys[i];
    if (!finite(v)) {
      breakLine();
      continue;
    }
    const x = toPx(sc, xs[i]);
    if (!dense) {
      line.push(x, yOf(v));
      continue;
    }
    const c = Math.floor(x);
    if (c !== col) {
      flushCol();
      col = c;
    }
    colPts.push([x, v]);
  }
  breakLine();
  return lines;
}

/**
 * Feature `f`'s lines over the data window of `sc`: its samples within the
 * media the window maps to under `m` (and a neighbour each side), each placed
 * at data time toData(t0 + i * dt, m).
 */
export function featureLines(f: Pick<Feature, "t0" | "dt" | "values">, m: TimeMap, sc: Scale, height: number): Polyline[] {
  const n = f.values.length;
  if (!(f.dt > 0) || n === 0) return [];
  const ma = toMedia(sc.lo, m);
  const mb = toMedia(sc.hi, m);
  const i0 = Math.max(0, Math.floor((Math.min(ma, mb) - f.t0) / f.dt) - 1);
  const i1 = Math.min(n, Math.ceil((Math.max(ma, mb) - f.t0) / f.dt) + 2);
  if (i1 <= i0) return [];
  const xs = new Float64Array(i1 - i0);
  for (let i = i0; i < i1; i++) xs[i - i0] = toData(f.t0 + i * f.dt, m);
  return seriesLines(xs, f.values.subarray(i0, i1), sc, height);
}
