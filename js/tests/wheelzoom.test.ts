// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { Sel } from "../range";
import { bindWheelZoom, WHEEL_ZOOM } from "../wheelzoom";

function setup() {
  const over = document.createElement("div");
  over.getBoundingClientRect = () => ({ left: 0, top: 0, width: 100, height: 50, right: 100, bottom: 50, x: 0, y: 0, toJSON: () => ({}) });
  Object.defineProperty(over, "clientWidth", { value: 100 });
  const zoomed: Sel[] = [];
  const ac = new AbortController();
  bindWheelZoom(over, ac.signal, { window: () => [10, 20], span: () => 100, minWidth: () => 0.01, zoomed: (s) => zoomed.push(s) });
  const wheel = (init: { deltaY: number; ctrlKey?: boolean; metaKey?: boolean }) => {
    const e = new WheelEvent("wheel", { cancelable: true, clientX: 50, deltaY: init.deltaY });
    // happy-dom's WheelEvent ignores modifier keys in its init: set them on the event.
    for (const k of ["ctrlKey", "metaKey", "clientX"] as const) {
      const v = k === "clientX" ? 50 : !!init[k];
      Object.defineProperty(e, k, { value: v });
    }
    over.dispatchEvent(e);
    return e;
  };
  return { zoomed, wheel, ac };
}

describe("bindWheelZoom", () => {
  it("leaves a plain wheel to scroll the page", () => {
    const { zoomed, wheel } = setup();
    const e = wheel({ deltaY: 100 });
    expect(zoomed).toEqual([]);
    expect(e.defaultPrevented).toBe(false);
  });

  it("zooms around the pointer with Ctrl (out for positive delta, in for negative)", () => {
    const { zoomed, wheel } = setup();
    const e = wheel({ deltaY: 100, ctrlKey: true });
    expect(e.defaultPrevented).toBe(true);
    const f = Math.pow(WHEEL_ZOOM, 100);
    // The pointer is at the middle (15 s): the window grows by f around it.
    expect(zoomed[0][0]).toBeCloseTo(15 - 5 * f, 9);
    expect(zoomed[0][1]).toBeCloseTo(15 + 5 * f, 9);
    wheel({ deltaY: -100, metaKey: true });
    expect(zoomed[1][1] - zoomed[1][0]).toBeLessThan(10);
  });

  it("stops listening when the signal aborts", () => {
    const { zoomed, wheel, ac } = setup();
    ac.abort();
    wheel({ deltaY: 100, ctrlKey: true });
    expect(zoomed).toEqual([]);
  });
});
