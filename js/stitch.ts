/**
 * Asking only for what is missing, and stitching chunks of the same columns.
 *
 * The kernel cuts a window into columns on a global grid: column k of width
 * `dt` is [k*dt, (k+1)*dt), and `dt` is a rung of a ladder of powers of
 * 2 ** (1 / COLUMN_LADDER) seconds (decimate.py column_width). Two replies of
 * the same `dt` hold the same columns where they overlap, so a chunk the
 * browser holds and a reply for the part of a window it lacks join into one
 * chunk that is exactly the reply a single request over both would have
 * brought (joinChunks). On a slow link, where bytes are time, a drag or a
 * neighbour prefetch then asks for the uncovered seconds only, at the held
 * chunk's `dt` (partRequest, missingRequests), instead of the whole window.
 */

import type { NumArray } from "./buffers";
import type { Chunk, WindowRequest } from "./detail";
import { COLUMN_LADDER, MAX_DETAIL_BUCKETS } from "./wire";

/** Most points a joined chunk may hold (a join that would hold more is refused). */
export const MAX_JOINED_POINTS = 65536;

/**
 * Fewest columns a missing-part request asks for: then the width per column the
 * kernel computes stays within 1/16 of the middle of the rung aimed at, well
 * inside the rung (its edges are 9% away), whatever the rounding of `buckets`.
 */
export const MIN_PART_BUCKETS = 8;

/**
 * 2 ** (r / ladder) for r = 0 .. ladder - 1, correctly rounded (as C's pow, which
 * Python's float ** uses, gives them; JavaScript's `**` may be one unit in the
 * last place off for fractional exponents). The double nearest the irrational
 * root is found exactly: M / 2**52 (M an integer) is it when the root lies
 * between the midpoints (2M - 1) / 2**53 and (2M + 1) / 2**53, that is when
 * (2M - 1)**ladder < 2 ** (r + 53 * ladder) < (2M + 1)**ladder.
 */
function rungs(ladder: number): number[] {
  const out: number[] = [];
  const L = BigInt(ladder);
  for (let r = 0; r < ladder; r++) {
    const target = 1n << BigInt(r + 53 * ladder);
    let m = BigInt(Math.round(2 ** (r / ladder) * 2 ** 52));
    while ((2n * m + 1n) ** L < target) m += 1n;
    while ((2n * m - 1n) ** L > target) m -= 1n;
    out.push(Number(m) / 2 ** 52);
  }
  return out;
}

const RUNGS = rungs(COLUMN_LADDER);

/** 2 ** (n / COLUMN_LADDER), correctly rounded (the kernel's `2.0 ** (n / LADDER)` for a power-of-two ladder). */
export function ladderWidth(n: number): number {
  const q = Math.floor(n / COLUMN_LADDER);
  return 2 ** q * RUNGS[n - q * COLUMN_LADDER];
}

/**
 * Seconds per column the kernel uses for a window of `seconds` cut into
 * `columns` (decimate.py column_width, the same float steps): the width
 * snapped down to the ladder; 0 when `seconds` is not positive. Math.log2 may
 * differ from C's log2 in the last place, which moves the floor only for a
 * width within that of a rung's edge: requests aim at a rung's middle.
 */
export function columnWidth(seconds: number, columns: number): number {
  if (!(seconds > 0)) return 0;
  const raw = seconds / Math.max(1, columns);
  return ladderWidth(Math.floor(Math.log2(raw) * COLUMN_LADDER));
}

/** Factor from a rung's width to its middle (in log scale): half a rung up. */
const RUNG_MIDDLE = 2 ** (0.5 / COLUMN_LADDER);

/**
 * The `buckets` that make the kernel cut `seconds` into columns of exactly
 * `dt` (a width on the ladder): the count that puts the width per column in
 * the middle of dt's rung. Null when that is fewer than MIN_PART_BUCKETS or
 * more than the kernel allows, or when it does not give `dt` back (a `dt` off
 * the ladder, such as a static page's or a test's).
 */
export function bucketsFor(seconds: number, dt: number): number | null {
  if (!(seconds > 0) || !(dt > 0)) return null;
  const buckets = Math.max(1, Math.round(seconds / (dt * RUNG_MIDDLE)));
  if (buckets < MIN_PART_BUCKETS || buckets > MAX_DETAIL_BUCKETS) return null;
  return columnWidth(seconds, buckets) === dt ? buckets : null;
}

/** A chunk the kernel decimated into columns (not raw samples). */
function decimated(c: Chunk): boolean {
  return c.bucket > 1 && c.dt > 0;
}

/** The values of `arr` at indices [a, b) followed by those of `brr` at [c, d), in one array of a type that holds both exactly. */
function concat(arr: NumArray, a: number, b: number, brr: NumArray, c: number, d: number): NumArray {
  const Ctor = arr.constructor === brr.constructor ? (arr.constructor as new (n: number) => NumArray) : Float64Array;
  const out = new Ctor(b - a + d - c);
  out.set(arr.subarray(a, b));
  out.set(brr.subarray(c, d), b - a);
  return out;
}

/** First index of sorted `x` at or after `t` (x.length when none). */
function firstAtOrAfter(x: Float64Array, t: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Two decimated chunks of the same columns joined into one over both bounds,
 * or null when they cannot be: a raw chunk, different `dt` (compared bit for
 * bit), different channel counts, a gap between them, one inside the other
 * (bounds equal on a side count as inside), or more than `cap` points.
 *
 * With L the chunk that starts first and R the other (L.lo < R.lo <= L.hi <
 * R.hi), the cut is at C = floor(R.lo / dt) * dt, R's first column edge in the
 * kernel's float arithmetic: L's points before C, then R's points from C on.
 * The result is point for point the reply of one request over [L.lo, R.hi]:
 * - L computed every column from its first to C (its columns reach
 *   ceil(L.hi / dt) >= floor(R.lo / dt)), R every column from C to the end, and
 *   columns are global, so both computed the same columns where they overlap;
 * - a column's points lie inside it (the kernel's times, and the decoder's, are
 *   at or after its left edge and before its right one), so `x < C` takes
 *   exactly L's columns left of C and `x >= C` exactly R's from C on;
 * - the raw points a reply adds beyond its columns lie outside them: L's before
 *   its first column (so before C, kept: they are the union's), L's after its
 *   last column (at or after C, dropped), R's before C (dropped) and R's after
 *   its last column (kept: the union's).
 * Values keep their own precision: `approx` is per channel the larger of the
 * two (absent or 0: exact); `bucket` is L's.
 */
export function joinChunks(a: Chunk, b: Chunk, cap = MAX_JOINED_POINTS): Chunk | null {
  if (!decimated(a) || !decimated(b) || a.dt !== b.dt || a.ys.length !== b.ys.length) return null;
  const [L, R] = a.lo <= b.lo ? [a, b] : [b, a];
  if (!(L.lo < R.lo && R.lo <= L.hi && L.hi < R.hi)) return null;
  const C = Math.floor(R.lo / R.dt) * R.dt;
  const nl = firstAtOrAfter(L.x, C);
  const nr = firstAtOrAfter(R.x, C);
  if (nl + R.x.length - nr > cap) return null;
  const x = concat(L.x, 0, nl, R.x, nr, R.x.length) as Float64Array;
  const ys = L.ys.map((y, i) => concat(y, 0, nl, R.ys[i], nr, R.ys[i].length));
  const joined: Chunk = { lo: L.lo, hi: R.hi, bucket: L.bucket, dt: L.dt, x, ys };
  if (L.approx || R.approx) joined.approx = L.ys.map((_, i) => Math.max(L.approx?.[i] ?? 0, R.approx?.[i] ?? 0));
  return joined;
}

/**
 * The request for the seconds [lo, hi] that `held` lacks, next to it (on its
 * left: lo < held.lo <= hi; else on its right: lo <= held.hi < hi), at
 * held's `dt`, so that the reply joins with it (joinChunks); null when no such
 * request can be made (see bucketsFor). A part narrower than MIN_PART_BUCKETS
 * columns is widened away from `held` within [0, span], else into it (but not
 * across it: the reply must still reach beyond it).
 */
export function partRequest(lo: number, hi: number, held: Chunk, span: number): WindowRequest | null {
  const dt = held.dt;
  if (!decimated(held) || !(hi > lo)) return null;
  const least = MIN_PART_BUCKETS * dt * RUNG_MIDDLE;
  let a = lo;
  let b = hi;
  if (a < held.lo) {
    if (b - a < least) a = Math.max(0, b - least);
    if (b - a < least) b = a + least;
    if (!(a < held.lo && held.lo <= b && b < held.hi)) return null;
  } else {
    if (b - a < least) b = Math.min(span, a + least);
    if (b - a < least) a = b - least;
    if (!(held.lo < a && a <= held.hi && held.hi < b)) return null;
  }
  const buckets = bucketsFor(b - a, dt);
  return buckets === null ? null : { lo: a, hi: b, buckets };
}

/**
 * On a slow link, the requests for window [lo, hi] drawn `px` pixels wide that
 * only ask for what `chunks` lack: when a decimated chunk H of about the
 * window's resolution (`dt` within [perPx / 2, perPx * 1.5], perPx the
 * window's seconds per pixel) overlaps the window without covering it, the
 * part (or two parts) of the window beyond H at H's `dt`; the replies join
 * with H and cover the window. Of several such chunks, the one that overlaps
 * the window most. Parts are clipped to the data, [0, span]. Null when there
 * is none, or a part cannot be asked for at H's `dt` (then the window is
 * asked for whole).
 */
export function missingRequests(chunks: readonly Chunk[], lo: number, hi: number, px: number, span: number): WindowRequest[] | null {
  const perPx = (hi - lo) / Math.max(1, px);
  let held: Chunk | null = null;
  let most = 0;
  for (const c of chunks) {
    if (!decimated(c) || c.dt > perPx * 1.5 || c.dt < perPx / 2) continue;
    const overlap = Math.min(c.hi, hi) - Math.max(c.lo, lo);
    if (overlap > most) [held, most] = [c, overlap];
  }
  if (!held) return null;
  const out: WindowRequest[] = [];
  for (const [a, b] of [
    [Math.max(0, lo), held.lo],
    [held.hi, Math.min(span, hi)],
  ]) {
    if (!(b > a)) continue;
    const req = partRequest(a, b, held, span);
    if (!req) return null;
    out.push(req);
  }
  return out.length ? out : null;
}
