/**
 * The link between this browser and the kernel, as the detail replies show it,
 * and how much prefetching it allows.
 *
 * Every detail reply is measured: its bytes and its round trip (request sent ->
 * reply decoded, so the kernel's own time counts too). From the last
 * LINK_SAMPLES replies the meter predicts how long a reply of so many bytes
 * takes: a straight line (latency + bytes x time per byte) fitted to them when
 * their sizes differ enough to separate the two, else the slower of the
 * shortest round trip and the replies' average rate, latency included (which
 * overestimates larger replies: the safe side when deciding to prefetch).
 *
 * The rule ({@link linkPlan}), with W the predicted time of one window's reply
 * (the chart's width in columns times the bytes per column the replies showed):
 *
 * - W <= SLOW_MS (40 ms; loopback and LANs, where a window's reply takes 2-20
 *   ms): everything as before. Requests go out at once (a drag refines as it
 *   goes), padded by a window each side; once idle, the neighbours (a window
 *   each side) and the window four times finer are prefetched.
 * - W > SLOW_MS (a remote JupyterHub or Colab: over 10 Mbit/s and 50 ms of
 *   round trip, measured 70-115 ms for one channel's window, 150 ms for eight):
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
 *     within PREFETCH_BUDGET_MS (150 ms): neighbours of 1, 1/2 or 1/4 of a
 *     window each side, the first that fits, and the window 4x or 2x finer,
 *     the first that fits; none when nothing fits (one channel on 10 Mbit/s:
 *     all of it; eight: none).
 */

/** Replies the prediction is made from (the most recent). */
export const LINK_SAMPLES = 8;
/** A window's reply predicted slower than this (ms) makes the link slow. */
export const SLOW_MS = 40;
/** On a slow link, a prefetch must be predicted to arrive within this (ms). */
export const PREFETCH_BUDGET_MS = 150;
/** On a slow link, a window is asked for once it has been still this long (ms). */
export const STILL_MS = 30;
/** On a slow link, prefetches wait until the window has been still this long (ms). */
export const IDLE_MS = 200;

interface Sample {
  bytes: number;
  ms: number;
}

/** Bytes and round-trip times of recent replies, and the time a reply of a given size takes. */
export class LinkMeter {
  private samples: Sample[] = [];

  /** A reply of `bytes` came back `ms` after its request was sent. */
  observe(bytes: number, ms: number): void {
    if (!(bytes >= 0) || !(ms >= 0) || !Number.isFinite(bytes) || !Number.isFinite(ms)) return;
    this.samples.push({ bytes, ms });
    if (this.samples.length > LINK_SAMPLES) this.samples.shift();
  }

  /** Replies measured (at most LINK_SAMPLES). */
  get count(): number {
    return this.samples.length;
  }

  /** The shortest recent round trip (ms), or null before any reply. */
  get rttMs(): number | null {
    return this.samples.length ? Math.min(...this.samples.map((s) => s.ms)) : null;
  }

  /** Predicted round trip of a reply of `bytes` (ms); 0 before any reply (assume a fast link). */
  predict(bytes: number): number {
    const s = this.samples;
    if (s.length === 0) return 0;
    const minMs = Math.min(...s.map((p) => p.ms));
    const sizes = s.map((p) => p.bytes);
    const big = Math.max(...sizes);
    const small = Math.min(...sizes);
    if (s.length >= 3 && big >= 1.5 * Math.max(small, 1)) {
      const mb = sizes.reduce((a, b) => a + b, 0) / s.length;
      const mt = s.reduce((a, p) => a + p.ms, 0) / s.length;
      let cov = 0;
      let vb = 0;
      for (const p of s) {
        cov += (p.bytes - mb) * (p.ms - mt);
        vb += (p.bytes - mb) ** 2;
      }
      const perByte = Math.max(0, cov / vb);
      const latency = Math.min(Math.max(0, mt - perByte * mb), minMs);
      return latency + perByte * bytes;
    }
    const total = s.reduce((a, p) => a + p.bytes, 0);
    const time = s.reduce((a, p) => a + p.ms, 0);
    return Math.max(minMs, total > 0 ? (bytes * time) / total : minMs);
  }
}

/** What the link allows, in window widths and factors. */
export interface LinkPlan {
  /** True when a window's reply is predicted slower than SLOW_MS. */
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

/** What to ask for, given the meter and the bytes one window's reply takes (see the module doc). */
export function linkPlan(meter: LinkMeter, windowBytes: number): LinkPlan {
  if (meter.count === 0 || !(windowBytes > 0)) return FAST;
  if (meter.predict(windowBytes) <= SLOW_MS) return FAST;
  const fits = (windows: number) => meter.predict(windows * windowBytes) <= PREFETCH_BUDGET_MS;
  const neighbours = [1, 0.5, 0.25].find((p) => fits(1 + 2 * p)) ?? 0;
  const zoom = [4, 2].find((f) => fits(f)) ?? 1;
  return { slow: true, requestPad: 0, stillMs: STILL_MS, idleMs: IDLE_MS, neighbours, zoom };
}
