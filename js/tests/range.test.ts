import { describe, expect, it } from "vitest";
import { jumpTo, moveBy, resizeEdge, zoomAround } from "../range";

describe("range arithmetic", () => {
  it("moves keeping the width and stops at both ends", () => {
    expect(moveBy([10, 15], 3, 30)).toEqual([13, 18]);
    expect(moveBy([10, 15], 100, 30)).toEqual([25, 30]);
    expect(moveBy([10, 15], -100, 30)).toEqual([0, 5]);
  });
  it("resizes one edge, never past the other", () => {
    expect(resizeEdge([10, 15], "end", 20, 30, 0.1)).toEqual([10, 20]);
    expect(resizeEdge([10, 15], "end", 5, 30, 0.1)).toEqual([10, 10.1]);
    expect(resizeEdge([10, 15], "start", -4, 30, 0.1)).toEqual([0, 15]);
    expect(resizeEdge([10, 15], "start", 16, 30, 0.1)[0]).toBeCloseTo(14.9);
    expect(resizeEdge([10, 15], "end", 99, 30, 0.1)).toEqual([10, 30]);
  });
  it("jumps to centre a click, clamped", () => {
    expect(jumpTo([0, 4], 20, 30)).toEqual([18, 22]);
    expect(jumpTo([0, 4], 29, 30)).toEqual([26, 30]);
  });
  it("zooms around the cursor", () => {
    const [a, b] = zoomAround([10, 20], 12, 0.5, 100, 0.01);
    expect(b - a).toBeCloseTo(5);
    expect((12 - a) / (b - a)).toBeCloseTo(0.2);
    expect(zoomAround([10, 20], 12, 1e9, 100, 0.01)).toEqual([0, 100]);
    const [c, d] = zoomAround([10, 20], 12, 1e-9, 100, 0.5);
    expect(d - c).toBeCloseTo(0.5);
  });
});
