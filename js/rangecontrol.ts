/**
 * The range box on the overview: where it is drawn, and the gestures that
 * move it (drag its body), resize it (drag an edge) or jump it (click
 * elsewhere in the strip, and keep holding to drag on). It knows nothing of
 * the model: it tells the view each window while a gesture goes on and when
 * the gesture ends.
 */

import { jumpTo, moveBy, resizeEdge, type Sel } from "./range";
import { elementScale, scale, toPx, toTime } from "./scale";
import { el } from "./dom";

/** Below this width (pixels) the range gets a wider body to grab and its handles move outside. */
export const NARROW_RANGE_PX = 20;

export interface RangeHost {
  /** The series' span (relative seconds). */
  span(): number;
  /** The window shown now. */
  window(): Sel;
  /** The narrowest window allowed (seconds). */
  minWidth(): number;
  /** A gesture moved the window to `sel` (show it; more may follow). */
  moving(sel: Sel): void;
  /** The gesture ended. */
  moved(): void;
  /** Give the widget keyboard focus (keys act on the window after a drag). */
  focus(): void;
}

export class RangeControl {
  /** The range box (data-part="range") with its two handles. */
  readonly el: HTMLDivElement;
  /** True while a gesture goes on. */
  dragging = false;

  constructor(
    private readonly host: RangeHost,
    private readonly signal: AbortSignal,
  ) {
    this.el = el("div", "tsv-range", "range");
    el("div", "tsv-handle tsv-handle-start", "range-start", undefined, this.el);
    el("div", "tsv-handle tsv-handle-end", "range-end", undefined, this.el);
  }

  /** Put the box on the overview's plot area `over` and listen to it. */
  attach(over: HTMLElement): void {
    over.appendChild(this.el);
    over.addEventListener("pointerdown", (e) => this.onPointerDown(e, over), { signal: this.signal });
  }

  /** Draw the box for window `sel` on a plot `width` pixels wide showing the whole span. */
  place(sel: Sel, width: number): void {
    const sc = scale(0, this.host.span(), width);
    const left = toPx(sc, sel[0]);
    const right = toPx(sc, sel[1]);
    this.el.style.left = `${left}px`;
    this.el.style.width = `${Math.max(right - left, 2)}px`;
    this.el.classList.toggle("tsv-range-narrow", right - left < NARROW_RANGE_PX);
  }

  private onPointerDown(e: PointerEvent, over: HTMLElement): void {
    if (e.button !== 0) return;
    const host = this.host;
    const span = host.span();
    const which = (e.target as HTMLElement).dataset?.part;
    const x0 = e.clientX;
    const sc = elementScale(over, 0, span);
    const timeAt = (clientX: number) => toTime(sc, clientX - sc.left);
    let start: Sel = [...host.window()];
    const mode = which === "range-start" ? "start" : which === "range-end" ? "end" : "move";
    if (which !== "range" && mode === "move") {
      start = jumpTo(start, timeAt(e.clientX), span);
      host.moving(start);
    }
    e.preventDefault();
    over.setPointerCapture?.(e.pointerId);
    this.dragging = true;
    host.focus();
    const gesture = new AbortController();
    const opts = { signal: AbortSignal.any([this.signal, gesture.signal]) };
    over.addEventListener(
      "pointermove",
      (ev) => {
        const next =
          mode === "move"
            ? moveBy(start, timeAt(ev.clientX) - timeAt(x0), span)
            : resizeEdge(start, mode, timeAt(ev.clientX), span, host.minWidth());
        host.moving(next);
      },
      opts,
    );
    const end = () => {
      gesture.abort();
      this.dragging = false;
      host.moved();
    };
    over.addEventListener("pointerup", end, opts);
    over.addEventListener("pointercancel", end, opts);
  }
}
