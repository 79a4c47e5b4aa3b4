import { describe, expect, it } from "vitest";
import { featureLines, LINE_PAD_PX, seriesLines, type Polyline } from "../checklines";
import { scale, toPx } from "../scale";
import { toData, type TimeMap } from "../timemap";

const H = 64;

/** The points of polylines as [x, y] pairs. */
const pairs = (lines: Polyline[]) => lines.flatMap((l) => Array.from({ length: l.length / 2 }, (_, i) => [l[2 * i], l[2 * i + 1]]));

/** x of the highest point (smallest y) of the lines. */
function peakX(lines: Polyline[]): number {
  let best = [NaN, Infinity];
  for (const p of pairs(lines)) if (p[1] < best[1]) best = p;
  return best[0];
}

describe("seriesLines", () => {
  it("scales the visible min to the bottom, the max to the top, x through the scale", () => {
    const xs = [0, 1, 2, 3, 4];
    const ys = [0, 10, 5, 10, 0];
    const lines = seriesLines(xs, ys, scale(1, 3, 100), H);
    expect(lines).toHaveLength(1);
    // Visible are x 1..3 (values 10, 5, 10), with a neighbour each side.
    const pts = pairs(lines);
    expect(pts.map((p) => p[0])).toEqual([-50, 0, 50, 100, 150]);
    expect(pts[1][1]).toBeCloseTo(LINE_PAD_PX);
    expect(pts[2][1]).toBeCloseTo(H - LINE_PAD_PX);
  });

  it("draws a flat series across the middle, and nothing without values", () => {
    const pts = pairs(seriesLines([0, 1, 2], [3, 3, 3], scale(0, 2, 10), H));
    expect(pts.every((p) => p[1] === H / 2)).toBe(true);
    expect(seriesLines([0, 1], [null, NaN], scale(0, 1, 10), H)).toEqual([]);
    expect(seriesLines([], [], scale(0, 1, 10), H)).toEqual([]);
  });

  it("splits the line at gaps", () => {
    const lines = seriesLines([0, 1, 2, 3, 4], [1, 2, null, 3, 4], scale(0, 4, 40), H);
    expect(lines.map((l) => l.length / 2)).toEqual([2, 2]);
  });

  it("keeps every column's extremes when points are denser than the pixels (against an oracle)", () => {
    const n = 10_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i / 1000);
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const ys = Float64Array.from({ length: n }, () => rnd());
    const width = 50;
    const sc = scale(0, 9.999, width);
    const lines = seriesLines(xs, ys, sc, H);
    const pts = pairs(lines);
    expect(pts.length).toBeLessThanOrEqual(4 * (width + 2));
    // Oracle: per pixel column, the lowest y and the highest y drawn equal the column's extremes.
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ys) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const yOf = (v: number) => LINE_PAD_PX + ((hi - v) / (hi - lo)) * (H - 2 * LINE_PAD_PX);
    for (let c = 0; c < width; c++) {
      const inCol = [...xs.keys()].filter((i) => Math.floor(toPx(sc, xs[i])) === c);
      const want = [Math.min(...inCol.map((i) => yOf(ys[i]))), Math.max(...inCol.map((i) => yOf(ys[i])))];
      const drawn = pts.filter((p) => Math.floor(p[0]) === c).map((p) => p[1]);
      expect(Math.min(...drawn)).toBeCloseTo(want[0], 9);
      expect(Math.max(...drawn)).toBeCloseTo(want[1], 9);
    }
  });
});

describe("featureLines", () => {
  // A feature in media seconds: one peak at media 5 s, sampled every 0.1 s over 20 s.
  const values = Float32Array.from({ length: 200 }, (_, i) => (i === 50 ? 1 : 0));
  const feature = { t0: 0, dt: 0.1, values };

  it("places the feature at data time through the mapping (toData)", () => {
    const m: TimeMap = { span: 20, duration: 20, offset: 2, rate: 1 };
    const sc = scale(0, 10, 100);
    // Media 5 s is data 3 s under offset 2: 30 px.
    expect(peakX(featureLines(feature, m, sc, H))).toBeCloseTo(toPx(sc, toData(5, m)), 9);
    expect(peakX(featureLines(feature, m, sc, H))).toBeCloseTo(30, 9);
  });

  it("lines up with the data once the right mapping is applied, not before", () => {
    // The data shows the event at 4 s; the media at 5 s: the right offset is 1 s.
    const xs = Float64Array.from({ length: 101 }, (_, i) => i / 10);
    const ys = Float64Array.from(xs, (x) => (Math.abs(x - 4) < 1e-9 ? 1 : 0));
    const sc = scale(0, 10, 100);
    const data = peakX(seriesLines(xs, ys, sc, H));
    const wrong = peakX(featureLines(feature, { span: 10, duration: 20, offset: 0, rate: 1 }, sc, H));
    const right = peakX(featureLines(feature, { span: 10, duration: 20, offset: 1, rate: 1 }, sc, H));
    expect(Math.abs(wrong - data)).toBeCloseTo(10, 6);
    expect(right).toBeCloseTo(data, 6);
  });

  it("follows a piecewise mapping and a rate", () => {
    const k: TimeMap = { span: 20, duration: 20, offset: 0, rate: 1, knots: [[0, 0], [2, 3], [10, 11]] };
    const sc = scale(0, 10, 100);
    expect(peakX(featureLines(feature, k, sc, H))).toBeCloseTo(toPx(sc, toData(5, k)), 9);
    const r: TimeMap = { span: 20, duration: 20, offset: 0, rate: 2 };
    expect(peakX(featureLines(feature, r, sc, H))).toBeCloseTo(25, 9);
  });

  it("draws nothing for an empty feature or a window beyond the media", () => {
    const m: TimeMap = { span: 100, duration: 20, offset: 0, rate: 1 };
    expect(featureLines({ t0: 0, dt: 0.1, values: new Float32Array(0) }, m, scale(0, 10, 100), H)).toEqual([]);
    expect(featureLines(feature, m, scale(50, 60, 100), H)).toEqual([]);
    expect(featureLines({ ...feature, dt: 0 }, m, scale(0, 10, 100), H)).toEqual([]);
  });
});
