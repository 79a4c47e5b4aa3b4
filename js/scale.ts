/**
 * Every time <-> pixel conversion of the widget: a plot shows times [lo, hi]
 * across `width` CSS pixels. The detail chart's scale is the window, the
 * overview's the whole span; overlays (range, playheads, regions) and pointer
 * input all go through here, so they can never disagree about where a time is.
 */

export interface Scale {
  /** Time at the plot's left edge (relative seconds). */
  lo: number;
  /** Time at the plot's right edge (relative seconds). */
  hi: number;
  /** The plot's width (CSS pixels). */
  width: number;
}

/** The scale of a plot showing [lo, hi] across `width` pixels. */
export function scale(lo: number, hi: number, width: number): Scale {
  return { lo, hi, width: Math.max(width, 0) };
}

/** Pixels from the plot's left edge to time `t` (0 for an empty window). */
export function toPx(s: Scale, t: number): number {
  return s.hi > s.lo ? ((t - s.lo) / (s.hi - s.lo)) * s.width : 0;
}

/** Time at `px` pixels from the plot's left edge. */
export function toTime(s: Scale, px: number): number {
  return s.lo + (px / Math.max(s.width, 1)) * (s.hi - s.lo);
}

/** Seconds that `px` pixels stand for. */
export function seconds(s: Scale, px: number): number {
  return (px / Math.max(s.width, 1)) * (s.hi - s.lo);
}

/** True when time `t` falls on the plot (half a pixel of slack each side). */
export function onPlot(s: Scale, t: number): boolean {
  const x = toPx(s, t);
  return x >= -0.5 && x <= s.width + 0.5;
}

/** The scale of element `el` (its on-screen box) showing [lo, hi], and its left edge in client pixels. */
export function elementScale(el: HTMLElement, lo: number, hi: number): Scale & { left: number; top: number; height: number } {
  const r = el.getBoundingClientRect();
  return { ...scale(lo, hi, r.width), left: r.left, top: r.top, height: r.height };
}

/** Time under client x-coordinate `clientX` on element `el` showing [lo, hi]. */
export function timeAtClient(el: HTMLElement, lo: number, hi: number, clientX: number): number {
  const s = elementScale(el, lo, hi);
  return toTime(s, clientX - s.left);
}
