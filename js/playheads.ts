/**
 * The playhead lines of one view: on the detail chart and on the overview
 * strip, at the data clock's time. The detail line carries the time in
 * `data-time` (relative seconds).
 */

import { onPlot, scale, toPx } from "./scale";
import type { Sel } from "./range";
import { el } from "./dom";

const DPR = (): number => (typeof window !== "undefined" && window.devicePixelRatio) || 1;

export class Playheads {
  readonly detail = el("div", "tsv-playhead", "playhead");
  readonly overview = el("div", "tsv-playhead tsv-overview-playhead", "overview-playhead");
  /** The overlays' widths (CSS px), read when they are attached or resized, not every frame. */
  private widths = new Map<HTMLElement, number>();

  /** Put the lines in the charts' overlays (after the charts were built). */
  attach(detailOver: HTMLElement, overviewOver: HTMLElement): void {
    detailOver.appendChild(this.detail);
    overviewOver.appendChild(this.overview);
    this.resized();
  }

  /** The charts changed size: read the overlays' widths again. */
  resized(): void {
    for (const el of [this.detail, this.overview]) this.widths.set(el, el.parentElement?.clientWidth ?? 0);
  }

  /**
   * Place both lines at data time `rel` (NaN hides them): the detail shows
   * window `sel`, the overview 0..`span`. uPlot applies setScale in a
   * microtask, so its own scale may still be the old window: the lines are
   * placed from the window the view has just set.
   */
  place(rel: number, sel: Sel, span: number): void {
    this.at(this.detail, rel, sel[0], sel[1]);
    this.at(this.overview, rel, 0, span);
    this.detail.dataset.time = Number.isFinite(rel) ? String(rel) : "";
  }

  private at(el: HTMLElement, rel: number, lo: number, hi: number): void {
    const width = this.widths.get(el) ?? 0;
    if (!el.parentElement || !Number.isFinite(rel)) {
      el.hidden = true;
      return;
    }
    const sc = scale(lo, hi, width);
    const hidden = !onPlot(sc, rel);
    if (el.hidden !== hidden) el.hidden = hidden;
    // A transform moves the line on the compositor, and only when it moves by a
    // device pixel: no layout, and no paint when it stays put.
    const px = Math.round(toPx(sc, rel) * DPR()) / DPR();
    const transform = `translateX(${px}px)`;
    if (el.style.transform !== transform) el.style.transform = transform;
  }
}
