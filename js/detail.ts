/**
 * Which points to draw for a window, and when to ask the kernel for more (and
 * the wire of those requests: DetailWire).
 *
 * The browser always holds the overview (min/max per column of the whole
 * span). Once a window is on screen it prefetches, while the kernel is idle,
 * the window's neighbours (one window width each side, at about one column per
 * pixel) and the window itself at four times the resolution: drags, and zooms
 * in or out by up to about four times, are then drawn from memory, and the
 * kernel is asked only when the window jumps away or zooms further. Chunks of
 * the same columns that meet are joined into one (stitch.ts); on a slow link
 * the neighbours are only the margins the held chunk lacks.
 */

import type { NumArray } from "./buffers";
import { decodeReply, replyBytes } from "./decode";
import { LinkMeter, linkPlan, type LinkPlan } from "./link";
import type { RequestChannel } from "./requests";
import { joinChunks, partRequest } from "./stitch";
import { KERNEL_MS_FIELD, MAX_DETAIL_BUCKETS } from "./wire";

/** Points of a window as the kernel sent them (decode.ts), or several such joined (stitch.ts). */
export interface Chunk {
  /** Requested bounds, relative seconds (already clamped to the data). */
  lo: number;
  hi: number;
  /** Samples per column (about); 1 means raw samples. */
  bucket: number;
  /** Seconds per column (0 for raw samples). */
  dt: number;
  /** Point times (float64 relative seconds) and one array per channel. */
  x: Float64Array;
  ys: NumArray[];
  /**
   * Per channel the largest error of its values (half a quantization step of a
   * compact reply; see compact.ts); 0, or absent, where the values are exact.
   */
  approx?: number[];
}

/** A detail request: window [lo, hi] (relative seconds) cut into about `buckets` columns. */
export interface WindowRequest {
  lo: number;
  hi: number;
  buckets: number;
}

/** Most buckets one request may ask for (the kernel caps at the same number, from wire.json). */
export const MAX_BUCKETS = MAX_DETAIL_BUCKETS;

/** Seconds per column of a chunk (0 for raw samples: as fine as it gets). */
export function secondsPerBucket(c: Chunk): number {
  return c.bucket <= 1 ? 0 : c.dt;
}

/** True when the chunk's bounds include [lo, hi] (up to rounding). */
export function covers(c: Chunk, lo: number, hi: number): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(hi));
  return c.lo <= lo + eps && c.hi >= hi - eps;
}

/** True when the chunk covers [lo, hi] with at least about one bucket per pixel. */
export function goodEnough(c: Chunk, lo: number, hi: number, px: number): boolean {
  if (!covers(c, lo, hi)) return false;
  const perPx = (hi - lo) / Math.max(1, px);
  return secondsPerBucket(c) <= perPx * 1.5;
}

/**
 * The request for window [lo, hi] of a chart `px` pixels wide, in a span
 * [0, span], padded by `pad` window widths on each side (0 for the first
 * paint, which should cost as few bytes as possible; 1 afterwards, so that
 * drags and zooms nearby are drawn from memory). `ahead`, when given, pads
 * the side the window is moving to (positive: later times) by that many
 * widths instead, so a fast drag still ends inside the reply.
 */
export function windowRequest(lo: number, hi: number, span: number, px: number, pad = 1, ahead = 0): WindowRequest {
  const w = Math.max(hi - lo, 0);
  const before = ahead < 0 ? Math.max(pad, -ahead) : pad;
  const after = ahead > 0 ? Math.max(pad, ahead) : pad;
  const reqLo = Math.max(0, lo - before * w);
  const reqHi = Math.min(span, hi + after * w);
  const scale = w > 0 ? (reqHi - reqLo) / w : 1;
  const buckets = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(Math.max(1, px) * scale)));
  return { lo: reqLo, hi: reqHi, buckets };
}

/** How far ahead (ms of motion at the current speed) a moving window's request reaches. */
export const LOOKAHEAD_MS = 150;
/** Most window widths a request reaches ahead of a moving window. */
export const MAX_AHEAD = 4;

/**
 * Windows' speed, from successive positions: the padding ahead for the next
 * request, in window widths, signed by the direction of motion (0 when still
 * or zooming). A reply takes a round trip, during which a drag goes on; a
 * request that reaches as far as the drag will go by then is still good when
 * the drag ends.
 */
export class Motion {
  private last: { t: number; lo: number; hi: number } | null = null;
  private speed = 0;

  /** Record window [lo, hi] seen at time `t` (ms). */
  see(t: number, lo: number, hi: number): void {
    const prev = this.last;
    this.last = { t, lo, hi };
    if (!prev) return;
    const dt = t - prev.t;
    const sameWidth = Math.abs(hi - lo - (prev.hi - prev.lo)) <= 1e-9 * Math.max(1, Math.abs(hi));
    // A pause, a zoom (width changed) or a jump (more than a width at once) is not a drag.
    if (dt > 500 || !sameWidth || Math.abs(lo - prev.lo) > hi - lo) {
      this.speed = 0;
      return;
    }
    if (dt <= 0) return;
    const v = (lo - prev.lo) / dt;
    // Smooth over a few moves: pointer events come unevenly.
    this.speed = this.speed === 0 ? v : 0.5 * this.speed + 0.5 * v;
  }

  /** Signed padding ahead, in window widths (see class doc); 0 when too slow to matter. */
  ahead(t: number): number {
    const last = this.last;
    if (!last || t - last.t > 500) return 0;
    const w = last.hi - last.lo;
    if (!(w > 0)) return 0;
    const reach = (this.speed * LOOKAHEAD_MS) / w;
    if (Math.abs(reach) < 1) return 0;
    return Math.sign(reach) * Math.min(MAX_AHEAD, Math.abs(reach));
  }
}

/** How much finer than the screen the zoom prefetch is (zooms in by up to ~4x are then cached). */
export const ZOOM_PREFETCH = 4;

/** How much to prefetch: neighbours' width each side (window widths; 0: none), zoom factor (1: none). */
export interface PrefetchSizes {
  neighbours: number;
  zoom: number;
  /**
   * A slow link (link.ts LinkPlan): the neighbours are asked for as the margins
   * beyond the chunk that serves the window, at its columns, so that the window
   * it holds is not sent again (see marginRequests).
   */
  slow?: boolean;
}

/** What a fast link prefetches (link.ts sizes it down on slow links). */
export const FULL_PREFETCH: PrefetchSizes = { neighbours: 1, zoom: ZOOM_PREFETCH };

/**
 * What to prefetch for window [lo, hi] drawn `px` pixels wide, in order, given
 * what `cache` holds: the neighbours, `sizes.neighbours` window widths each
 * side (unless chunks already cover half that beyond each edge), and a copy
 * of the window `sizes.zoom` times finer (unless cached). Empty when the
 * window itself is not cached yet: that is a request, not a prefetch. On a
 * slow link (`sizes.slow`) the neighbours are only the margins the cache lacks
 * (marginRequests), when they can be asked for at the serving chunk's columns.
 */
export function prefetchPlan(cache: ChunkCache, lo: number, hi: number, span: number, px: number, sizes: PrefetchSizes = FULL_PREFETCH): WindowRequest[] {
  const w = hi - lo;
  if (!(w > 0) || !cache.has(lo, hi, px)) return [];
  const out: WindowRequest[] = [];
  const pad = sizes.neighbours;
  if (pad > 0) {
    const nLo = Math.max(0, lo - (w * pad) / 2);
    const nHi = Math.min(span, hi + (w * pad) / 2);
    if (!cache.has(nLo, nHi, (px * (nHi - nLo)) / w)) {
      const margins = sizes.slow ? marginRequests(cache, lo, hi, span, px, pad) : null;
      out.push(...(margins ?? [windowRequest(lo, hi, span, px, pad)]));
    }
  }
  if (sizes.zoom > 1) {
    const finePx = px * sizes.zoom;
    if (!cache.has(lo, hi, finePx)) out.push(windowRequest(lo, hi, span, finePx, 0));
  }
  return out;
}

/**
 * The margins beyond chunk S that serves window [lo, hi], `pad` window widths
 * each, on each side where S does not reach half of that beyond the window:
 * [S.lo - pad*w, S.lo] and [S.hi, S.hi + pad*w], clipped to [0, span], at S's
 * columns (stitch.ts partRequest), so that the replies join with S. S is the
 * widest decimated chunk good enough for the window and not more than twice
 * as fine as it needs (a finer one would make the margins cost more bytes). A
 * margin a cached chunk already holds is skipped. Null when there is no such S
 * or a margin cannot be asked for at its columns: then the padded window is
 * asked for (windowRequest).
 */
export function marginRequests(cache: ChunkCache, lo: number, hi: number, span: number, px: number, pad: number): WindowRequest[] | null {
  const w = hi - lo;
  const perPx = w / Math.max(1, px);
  let s: Chunk | null = null;
  for (const c of cache.all()) {
    if (c.bucket <= 1 || !(c.dt >= perPx / 2) || !goodEnough(c, lo, hi, px)) continue;
    if (s === null || c.hi - c.lo > s.hi - s.lo) s = c;
  }
  if (!s || !(w > 0)) return null;
  const reach = w * pad;
  const out: WindowRequest[] = [];
  const sides: [number, number, boolean][] = [
    [Math.max(0, s.lo - reach), s.lo, s.lo > Math.max(0, lo - reach / 2)],
    [s.hi, Math.min(span, s.hi + reach), s.hi < Math.min(span, hi + reach / 2)],
  ];
  for (const [a, b, short] of sides) {
    if (!short || !(b > a) || cache.has(a, b, (px * (b - a)) / w)) continue;
    const req = partRequest(a, b, s, span);
    if (!req) return null;
    out.push(req);
  }
  return out;
}

/**
 * A small most-recently-used set of chunks. A chunk added next to a held one
 * of the same columns is joined with it (stitch.ts joinChunks).
 */
export class ChunkCache {
  private chunks: Chunk[] = [];

  constructor(private capacity = 12) {}

  /**
   * Hold `c` as the most recently used chunk, and return it as held: a chunk
   * not held yet is first joined with each held chunk it can be joined with
   * (one after the other, so a chunk that fills the gap between two joins all
   * three), the union replacing them.
   */
  add(c: Chunk): Chunk {
    if (!this.chunks.includes(c)) {
      for (let i = 0; i < this.chunks.length; ) {
        const joined = joinChunks(this.chunks[i], c);
        if (!joined) {
          i++;
          continue;
        }
        c = joined;
        this.chunks = this.chunks.filter((_, k) => k !== i);
        i = 0;
      }
    }
    this.chunks = [c, ...this.chunks.filter((o) => o !== c)].slice(0, this.capacity);
    return c;
  }

  /** The finest cached chunk good enough for the window, or null (does not touch the recency order). */
  peek(lo: number, hi: number, px: number): Chunk | null {
    let best: Chunk | null = null;
    for (const c of this.chunks) {
      if (!goodEnough(c, lo, hi, px)) continue;
      if (best === null || secondsPerBucket(c) < secondsPerBucket(best)) best = c;
    }
    return best;
  }

  /** The finest cached chunk good enough for the window (now the most recently used), or null. */
  find(lo: number, hi: number, px: number): Chunk | null {
    const best = this.peek(lo, hi, px);
    if (best) this.add(best);
    return best;
  }

  /** The chunks held, most recently used first. */
  all(): readonly Chunk[] {
    return this.chunks;
  }

  /** The finest chunk that covers the window at any resolution (to draw while a finer one comes), or null. */
  covering(lo: number, hi: number): Chunk | null {
    let best: Chunk | null = null;
    for (const c of this.chunks) {
      if (!covers(c, lo, hi)) continue;
      if (best === null || secondsPerBucket(c) < secondsPerBucket(best)) best = c;
    }
    return best;
  }

  /** True when some chunk is good enough for the window (does not touch the recency order). */
  has(lo: number, hi: number, px: number): boolean {
    return this.chunks.some((c) => goodEnough(c, lo, hi, px));
  }

  /** Forget every chunk. */
  clear(): void {
    this.chunks = [];
  }

  /** Chunks held. */
  get size(): number {
    return this.chunks.length;
  }
}

/** What the detail chart draws for a window, and how good it is. */
export interface DetailChoice {
  chunk: Chunk | null;
  /** "detail": fine enough for the width; "coarse": a cached chunk that covers the window; "overview": nothing better held. */
  source: "detail" | "coarse" | "overview";
}

/**
 * The best data held for window [lo, hi] drawn `px` pixels wide: the overview
 * when it holds raw samples, else a cached chunk good enough for this width,
 * else the finest cached chunk that covers the window (a zoom beyond the
 * prefetch), else the overview, until the kernel answers.
 */
export function chooseDetail(overview: Chunk | null, cache: ChunkCache, lo: number, hi: number, px: number): DetailChoice {
  const good = overview && overview.bucket <= 1 ? overview : cache.find(lo, hi, px);
  if (good) return { chunk: good, source: "detail" };
  const coarse = cache.covering(lo, hi);
  if (coarse) return { chunk: coarse, source: "coarse" };
  return { chunk: overview, source: "overview" };
}

/**
 * The detail requests' wire: sends a request, decodes its reply, and measures
 * the link by it (bytes and round trip, link.ts), and the bytes per column the
 * replies showed (a window's reply predicted from them decides the link plan).
 */
export class DetailWire {
  /** Bytes and round trips of the detail replies: how much the link allows (link.ts). */
  readonly link = new LinkMeter();
  /** Bytes per requested column of the recent replies (to predict a window's reply). */
  private bytesPerBucket = 0;

  constructor(private readonly channel: RequestChannel) {}

  /** What the measured link allows for a chart `px` wide (link.ts linkPlan). */
  plan(px: number): LinkPlan {
    return linkPlan(this.link, this.bytesPerBucket * px);
  }

  /** The link's latency and one window's transfer time for a chart `px` wide (ms; null before a reply). */
  estimate(px: number): { latencyMs: number; transferMs: number | null } | null {
    const e = this.link.estimate();
    return e && { latencyMs: e.latencyMs, transferMs: this.link.transferMs(this.bytesPerBucket * px) };
  }

  /** Ask the kernel for `req` (with `levels` when not null): its reply as a chunk, and whether it said nothing finer exists. */
  async ask(req: WindowRequest, levels: number | null): Promise<{ chunk: Chunk; finest: boolean }> {
    const t0 = performance.now();
    const body: Record<string, unknown> = { lo: req.lo, hi: req.hi, buckets: req.buckets, compact: true };
    if (levels !== null) body.levels = levels;
    const { msg, buffers } = await this.channel.request("detail", body);
    const bytes = replyBytes(msg, buffers);
    this.link.observe(bytes, performance.now() - t0, Number(msg[KERNEL_MS_FIELD] ?? 0));
    const perBucket = bytes / Math.max(1, req.buckets);
    this.bytesPerBucket = this.bytesPerBucket > 0 ? 0.5 * this.bytesPerBucket + 0.5 * perBucket : perBucket;
    // The reply's bounds (a static page answers with the embedded chunk it has).
    const chunk = decodeReply(typeof msg.lo === "number" ? msg.lo : req.lo, typeof msg.hi === "number" ? msg.hi : req.hi, msg, buffers);
    return { chunk, finest: msg.finest === true };
  }
}
