/**
 * Which points to draw for a window, and when to ask the kernel for more.
 *
 * The browser always holds the overview (min/max of the whole span). Detail
 * chunks cover a window padded by one window width on each side, at about one
 * bucket per pixel, so small drags and zooms are drawn from memory and the
 * kernel is asked only when the window leaves the chunk or needs finer detail.
 */

import type { NumArray } from "./buffers";

export interface Chunk {
  /** Requested bounds, relative seconds (already clamped to the data). */
  lo: number;
  hi: number;
  /** Samples per bucket; 1 means raw samples. */
  bucket: number;
  /** Point times (float64 relative seconds) and one array per channel. */
  x: Float64Array;
  ys: NumArray[];
}

export interface WindowRequest {
  lo: number;
  hi: number;
  buckets: number;
}

/** Most buckets one request may ask for (Python caps at the same number). */
export const MAX_BUCKETS = 8192;

/** Seconds per bucket of a chunk (0 for raw samples: as fine as it gets). */
export function secondsPerBucket(c: Chunk): number {
  if (c.bucket <= 1 || c.x.length < 2) return 0;
  return (c.x[c.x.length - 1] - c.x[0]) / (c.x.length / 2);
}

/** True when the chunk covers [lo, hi] with at least about one bucket per pixel. */
export function goodEnough(c: Chunk, lo: number, hi: number, px: number): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(hi));
  if (c.lo > lo + eps || c.hi < hi - eps) return false;
  const perPx = (hi - lo) / Math.max(1, px);
  return secondsPerBucket(c) <= perPx * 1.5;
}

/**
 * The request for window [lo, hi] of a chart `px` pixels wide, in a span
 * [0, span], padded by `pad` window widths on each side (0 for the first
 * paint, which should cost as few bytes as possible; 1 afterwards, so that
 * drags and zooms nearby are drawn from memory).
 */
export function windowRequest(lo: number, hi: number, span: number, px: number, pad = 1): WindowRequest {
  const w = Math.max(hi - lo, 0);
  const reqLo = Math.max(0, lo - pad * w);
  const reqHi = Math.min(span, hi + pad * w);
  const scale = w > 0 ? (reqHi - reqLo) / w : 1;
  const buckets = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(Math.max(1, px) * scale)));
  return { lo: reqLo, hi: reqHi, buckets };
}

/** A small most-recently-used set of chunks. */
export class ChunkCache {
  private chunks: Chunk[] = [];

  constructor(private capacity = 8) {}

  add(c: Chunk): void {
    this.chunks = [c, ...this.chunks.filter((o) => o !== c)].slice(0, this.capacity);
  }

  /** The finest cached chunk good enough for the window, or null. */
  find(lo: number, hi: number, px: number): Chunk | null {
    let best: Chunk | null = null;
    for (const c of this.chunks) {
      if (!goodEnough(c, lo, hi, px)) continue;
      if (best === null || secondsPerBucket(c) < secondsPerBucket(best)) best = c;
    }
    if (best) this.add(best);
    return best;
  }

  clear(): void {
    this.chunks = [];
  }

  get size(): number {
    return this.chunks.length;
  }
}
