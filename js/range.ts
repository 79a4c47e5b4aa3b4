/**
 * Pure arithmetic of the overview range: move, resize, jump and zoom, always
 * clamped to the data's span [0, span] (relative seconds).
 */

export type Sel = [number, number];

/** Move the window by `delta` seconds, keeping its width, stopping at the ends. */
export function moveBy(sel: Sel, delta: number, span: number): Sel {
  const w = sel[1] - sel[0];
  const a = Math.min(Math.max(sel[0] + delta, 0), Math.max(span - w, 0));
  return [a, a + w];
}

/** Drag one edge to `to`, never past the other edge minus `minWidth`. */
export function resizeEdge(sel: Sel, edge: "start" | "end", to: number, span: number, minWidth: number): Sel {
  if (edge === "start") {
    const a = Math.min(Math.max(to, 0), sel[1] - minWidth);
    return [Math.max(a, 0), sel[1]];
  }
  const b = Math.max(Math.min(to, span), sel[0] + minWidth);
  return [sel[0], Math.min(b, span)];
}

/** Centre a window of the same width at `center` (a click outside the range). */
export function jumpTo(sel: Sel, center: number, span: number): Sel {
  const w = sel[1] - sel[0];
  return moveBy([center - w / 2, center + w / 2], 0, span);
}

/** Zoom by `factor` (>1 widens) keeping the time at `at` under the cursor. */
export function zoomAround(sel: Sel, at: number, factor: number, span: number, minWidth: number): Sel {
  const w = sel[1] - sel[0];
  const nw = Math.min(Math.max(w * factor, minWidth), span);
  const frac = w > 0 ? (at - sel[0]) / w : 0.5;
  const a = at - frac * nw;
  return moveBy([a, a + nw], 0, span);
}
