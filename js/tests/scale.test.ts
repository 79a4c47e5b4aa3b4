// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { elementScale, onPlot, scale, seconds, timeAtClient, toPx, toTime } from "../scale";

describe("time <-> pixel scale", () => {
  const s = scale(10, 20, 500);
  it("maps times to pixels and back", () => {
    expect(toPx(s, 10)).toBe(0);
    expect(toPx(s, 20)).toBe(500);
    expect(toPx(s, 12.5)).toBe(125);
    expect(toPx(s, 5)).toBe(-250);
    for (const t of [10, 11.25, 17.3, 20]) expect(toTime(s, toPx(s, t))).toBeCloseTo(t, 12);
    expect(seconds(s, 50)).toBe(1);
  });
  it("an empty window or plot never divides by zero", () => {
    expect(toPx(scale(3, 3, 500), 4)).toBe(0);
    expect(toTime(scale(0, 10, 0), 5)).toBe(50);
    expect(scale(0, 1, -5).width).toBe(0);
  });
  it("a time is on the plot within half a pixel", () => {
    expect(onPlot(s, 10)).toBe(true);
    expect(onPlot(s, 20.0009)).toBe(true); // 0.045 px past the edge
    expect(onPlot(s, 20.02)).toBe(false); // 1 px past
    expect(onPlot(s, 9.98)).toBe(false);
  });
  it("reads an element's box for pointer input", () => {
    const el = document.createElement("div");
    el.getBoundingClientRect = () => ({ left: 100, top: 40, width: 200, height: 50, right: 300, bottom: 90, x: 100, y: 40, toJSON: () => ({}) });
    expect(timeAtClient(el, 0, 4, 150)).toBe(1);
    expect(elementScale(el, 0, 4)).toMatchObject({ lo: 0, hi: 4, width: 200, left: 100, top: 40, height: 50 });
  });
});
