/**
 * The link between this browser and the kernel, as the detail replies show it,
 * and how much prefetching it allows.
 *
 * Every detail reply is measured: its bytes, its round trip (request sent ->
 * reply decoded) and the kernel's own handling time, which the reply's header
 * carries (wire.ts KERNEL_MS_FIELD). The wire's share of a reply is the round
 * trip less the kernel's time. A loaded machine only ever makes replies slower
 * (the kernel, the Jupyter server and this page wait for a core; the server's
 * Nagle holds a reply about 40 ms for the acknowledgement of the one before),
 * never faster, so the meter reads the link from the fastest evidence of the
 * last LINK_SAMPLES replies, never from means:
 *
 * - the time per byte is the lower edge of the replies' (bytes, wire ms)
 *   points: from the fastest of the smaller replies to the one of the larger
 *   replies that gives the least time per byte (once their sizes differ by
 *   SIZE_SPREAD; until then it is not known, see {@link LinkMeter.predict});
 * - the latency is where that edge meets zero bytes: the least wire time of
 *   any reply less its bytes' transfer time.
 *
 * The rule ({@link linkPlan}), with W one window's bytes (the chart's width in
 * columns times the bytes per column the replies showed): the link is slow
 * when a window's transfer (W x time per byte) is over TRANSFER_SLOW_MS, or the
 * latency is over LATENCY_SLOW_MS, and only once MIN_EVIDENCE replies were
 * measured (one slow reply never changes the plan). Loopback, a LAN, a nearby
 * hub: a window's transfer takes well under a millisecond to a few, the latency
 * a few ms, or 40 ms when every recent reply waited on Nagle: fast. 10 Mbit/s
 * with 50 ms of round trip (a remote hub, Colab): 8 ms for one channel's window,
 * 58 ms for eight, 50 ms of latency: slow.
 *
 * - Fast: everything as before. Requests go out at once (a drag refines as it
 *   goes), padded by a window each side; once idle, the neighbours (a window
 *   each side) and the window four times finer are prefetched.
 * - Slow:
 *   - while a pointer is down on a chart (a drag) nothing is asked for, and
 *     when it comes up the window it left is asked for at once (charts.ts tells
 *     the model: ModelState.hold); other changes (wheel zooms, keys) are asked
 *     for once the window has been still for STILL_MS (30 ms), a window that
 *     jumped further than its width after being still for IDLE_MS (a click on
 *     the overview) at once. So a change costs one request, not one per round
 *     trip during it that the last would queue behind; should one still be in
 *     flight, the last goes beside it (two in flight at most, else one);
 *   - a request is for the window alone (no padding, nothing ahead);
 *   - prefetches wait until the window has been still for IDLE_MS (200 ms:
 *     the user paused), and are made only where they are predicted to arrive
 *     within PREFETCH_BUDGET_MS (150 ms): neighbours of 1/2 or 1/4 of a
 *     window each side, the first that fits, and no finer copy (bytes count on
 *     such a link: see linkPlan); none when nothing fits (one channel on
 *     10 Mbit/s: half a window each side; eight: a quarter).
 */

/** Replies the estimate is made from (the most recent). */
export const LINK_SAMPLES = 12;
/** Replies measured before the plan may turn slow: one slow reply is not evidence. */
export const MIN_EVIDENCE = 3;
/** Reply sizes must differ by this factor before latency and time per byte are told apart. */
export const SIZE_SPREAD = 1.5;
/** A window's transfer (its bytes at the measured time per byte) slower than this (ms) makes the link slow. */
export const TRANSFER_SLOW_MS = 20;
/**
 * A latency over this (ms) makes the link slow: above the 40 ms a reply can wait on
 * the Jupyter server's Nagle on loopback (plus a loaded machine's few ms), below the
 * 50 ms round trip of a remote hub.
 */
export const LATENCY_SLOW_MS = 46;
/** On a slow link, a prefetch must be predicted to arrive within this (ms). */
export const PREFETCH_BUDGET_MS = 150;
/** On a slow link, a window is asked for once it has been still this long (ms). */
export const STILL_MS = 30;
/** On a slow link, prefetches wait until the window has been still this long (ms). */
export const IDLE_MS = 200;

interface Sample {
  bytes: number;
  /** The wire's share of the round trip: the round trip less the kernel's handling time (ms). */
  wire: number;
}

/** The link's two numbers, read from the fastest evidence (see the module doc). */
export interface LinkEstimate {
  /** Time of a reply of no bytes (ms). */
  latencyMs: number;
  /** Time per byte (ms), or null while the replies' sizes are too alike to tell it from the latency. */
  perByteMs: number | null;
}

/** Bytes and wire times of recent replies, and the time a reply of a given size takes. */
export class LinkMeter {
  private samples: Sample[] = [];

  /**
   * A reply of `bytes` came back `ms` after its request was sent, of which the kernel
   * spent `kernelMs` handling it (its header says; 0 when it does not).
   */
  observe(bytes: number, ms: number, kernelMs = 0): void {
    if (![bytes, ms, kernelMs].every((v) => Number.isFinite(v) && v >= 0)) return;
    this.samples.push({ bytes, wire: Math.max(0, ms - kernelMs) });
    if (this.samples.length > LINK_SAMPLES) this.samples.shift();
  }

  /** Replies measured (at most LINK_SAMPLES). */
  get count(): number {
    return this.samples.length;
  }

  /** The least recent wire time (ms), or null before any reply. */
  get fastestMs(): number | null {
    return this.samples.length ? Math.min(...this.samples.map((s) => s.wire)) : null;
  }

  /** Latency and time per byte from the fastest evidence; null before any reply. */
  estimate(): LinkEstimate | null {
    const s = this.samples;
    if (s.length === 0) return null;
    const sizes = s.map((p) => p.bytes);
    const small = Math.max(1, Math.min(...sizes));
    const big = Math.max(...sizes);
    if (big < SIZE_SPREAD * small) return { latencyMs: Math.min(...s.map((p) => p.wire)), perByteMs: null };
    // The fastest of the smaller replies (below the sizes' geometric middle)...
    const mid = Math.sqrt(small * big);
    let base = s[0];
    for (const p of s) if (p.bytes <= mid && (base.bytes > mid || p.wire < base.wire)) base = p;
    // ...and the least time per byte any larger reply took beyond it: load and Nagle only add.
    let perByte = Infinity;
    for (const p of s) if (p.bytes > mid) perByte = Math.min(perByte, (p.wire - base.wire) / (p.bytes - base.bytes));
    perByte = Math.max(0, perByte);
    const latencyMs = Math.max(0, Math.min(...s.map((p) => p.wire - p.bytes * perByte)));
    return { latencyMs, perByteMs: perByte };
  }

  /**
   * Predicted wire time of a reply of `bytes` (ms): latency plus transfer; 0 before
   * any reply (assume a fast link). While the time per byte is unknown, the fastest
   * reply's time scaled by size, latency included: too much for larger replies, the
   * safe side when deciding to prefetch.
   */
  predict(bytes: number): number {
    const e = this.estimate();
    if (!e) return 0;
    if (e.perByteMs !== null) return e.latencyMs + bytes * e.perByteMs;
    const ref = this.samples.reduce((a, p) => (p.wire < a.wire ? p : a));
    return ref.wire * Math.max(1, bytes / Math.max(1, ref.bytes));
  }

  /** Predicted transfer time of `bytes` (ms, latency excluded), or null while unknown. */
  transferMs(bytes: number): number | null {
    const e = this.estimate();
    return e && e.perByteMs !== null ? bytes * e.perByteMs : null;
  }
}

/** On a slow link, the neighbour prefetches tried (window widths each side), the first that fits the budget. */
export const SLOW_NEIGHBOURS = [0.5, 0.25];

/** What the link allows, in window widths and factors. */
export interface LinkPlan {
  /** True when a window's transfer or the latency is over its threshold (module doc). */
  slow: boolean;
  /** Window widths a request is padded by each side. */
  requestPad: number;
  /** Ask for a window only once it has been still this long (ms; 0: at once). */
  stillMs: number;
  /** Prefetch only once the window has been still this long (ms; 0: once the kernel is idle). */
  idleMs: number;
  /** Window widths of the neighbours prefetched each side (0: none). */
  neighbours: number;
  /** How much finer than the screen the zoom prefetch is (1: none). */
  zoom: number;
}

/** The plan on a fast (or not yet measured) link: the front end's behaviour before any measuring. */
export const FAST: LinkPlan = { slow: false, requestPad: 1, stillMs: 0, idleMs: 0, neighbours: 1, zoom: 4 };

/** True when the meter shows a slow link for windows of `windowBytes` (module doc). */
export function isSlow(meter: LinkMeter, windowBytes: number): boolean {
  if (meter.count < MIN_EVIDENCE || !(windowBytes > 0)) return false;
  const e = meter.estimate();
  if (!e) return false;
  if (e.perByteMs === null) return meter.predict(windowBytes) > LATENCY_SLOW_MS;
  return e.latencyMs > LATENCY_SLOW_MS || windowBytes * e.perByteMs > TRANSFER_SLOW_MS;
}

/** What to ask for, given the meter and the bytes one window's reply takes (see the module doc). */
export function linkPlan(meter: LinkMeter, windowBytes: number): LinkPlan {
  if (!isSlow(meter, windowBytes)) return FAST;
  const fits = (windows: number) => meter.predict(windows * windowBytes) <= PREFETCH_BUDGET_MS;
  // Bytes count on a slow link: a neighbour prefetch repeats the window the browser
  // holds (a window is drawn from one chunk that covers it), and a 4x finer copy after
  // every pause is four windows more (measured: 64 KB a change on one channel, three
  // times plotly-resampler's 22 KB). So half a window each side at most, and no zoom copy.
  const neighbours = SLOW_NEIGHBOURS.find((p) => fits(1 + 2 * p)) ?? 0;
  return { slow: true, requestPad: 0, stillMs: STILL_MS, idleMs: IDLE_MS, neighbours, zoom: 1 };
}
