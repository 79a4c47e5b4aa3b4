/**
 * Ctrl/Cmd+wheel (and a trackpad pinch) over the detail chart zooms the
 * window around the pointer; a plain wheel is left to scroll the notebook.
 */

import { zoomAround, type Sel } from "./range";
import { timeAtClient } from "./scale";

export interface ZoomHost {
  window(): Sel;
  span(): number;
  /** Smallest window width (seconds). */
  minWidth(): number;
  /** Show the zoomed window (a local gesture). */
  zoomed(sel: Sel): void;
}

/** Zoom factor per wheel delta unit (a notch of about 100 zooms by ~16%). */
export const WHEEL_ZOOM = 1.0015;

export function bindWheelZoom(over: HTMLElement, signal: AbortSignal, zh: ZoomHost): void {
  over.addEventListener(
    "wheel",
    (e: WheelEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      const [a, b] = zh.window();
      const at = timeAtClient(over, a, b, e.clientX);
      zh.zoomed(zoomAround([a, b], at, Math.pow(WHEEL_ZOOM, e.deltaY), zh.span(), zh.minWidth()));
    },
    { signal, passive: false },
  );
}
