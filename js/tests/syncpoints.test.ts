import { describe, expect, it } from "vitest";
import type { Fit } from "../alignclient";
import { candidateRows, fitResiduals, fitSummary, knotCount } from "../alignformat";
import { defaultFeature } from "../aligncheck";
import { searchRange } from "../alignsuggest";
import { scale } from "../scale";
import { markerSpots } from "../syncmarkers";
import {
  formatMedia,
  formatMs,
  formatOffset,
  formatPpm,
  formatRate,
  newSyncPoint,
  pointsKey,
  pointsOf,
  ppm,
  residualMs,
  type SyncPoint,
} from "../syncpoints";
import { toMedia, type TimeMap } from "../timemap";

const linear = (offset: number | null, rate = 1): TimeMap => ({ span: 100, duration: 200, offset, rate });
const sp = (id: string, track: string, data: number, media: number): SyncPoint => ({ id, track, data_time: data, media_time: media });

describe("sync points", () => {
  it("a new point has a fresh 12-character id, as regions do", () => {
    const a = newSyncPoint("cam", 1, 2);
    const b = newSyncPoint("cam", 1, 2);
    expect(a).toMatchObject({ track: "cam", data_time: 1, media_time: 2 });
    expect(a.id).toHaveLength(12);
    expect(a.id).not.toBe(b.id);
    expect(newSyncPoint("cam", 1, 2, "given").id).toBe("given");
  });

  it("picks one track's points in data-time order", () => {
    const all = [sp("c", "cam", 5, 0), sp("a", "mic", 1, 0), sp("b", "cam", 2, 0)];
    expect(pointsOf(all, "cam").map((p) => p.id)).toEqual(["b", "c"]);
    expect(pointsOf(all, "none")).toEqual([]);
  });

  it("keys a track's points so a change of any of them, and only of them, shows", () => {
    const all = [sp("a", "cam", 1, 2), sp("b", "mic", 1, 2)];
    const key = pointsKey(all, "cam");
    expect(pointsKey([...all].reverse(), "cam")).toBe(key);
    expect(pointsKey([all[0], sp("b", "mic", 9, 9)], "cam")).toBe(key);
    expect(pointsKey([sp("a", "cam", 1, 2.001), all[1]], "cam")).not.toBe(key);
    expect(pointsKey([...all, sp("c", "cam", 3, 4)], "cam")).not.toBe(key);
  });

  it("the residual is media_time minus the mapping of data_time, in ms", () => {
    // Media 2 s at the first sample, 1000 ppm fast: data 10 s is media 12.01 s.
    const m = linear(2, 1.001);
    expect(residualMs(sp("a", "cam", 10, 12.01), m)).toBeCloseTo(0, 9);
    expect(residualMs(sp("a", "cam", 10, 12.0223), m)).toBeCloseTo(12.3, 9);
    expect(residualMs(sp("a", "cam", 10, 12), m)).toBeCloseTo(-10, 9);
    // A piecewise mapping: the same formula through toMedia.
    const k: TimeMap = { ...m, knots: [[0, 1], [10, 11], [20, 22]] };
    expect(residualMs(sp("a", "cam", 15, 16.5), k)).toBeCloseTo((16.5 - toMedia(15, k)) * 1000, 9);
    expect(residualMs(sp("a", "cam", 15, 16.5), k)).toBeCloseTo(0, 9);
  });
});

describe("alignment numbers as text", () => {
  it("ms to one decimal, never -0.0, blank for nothing", () => {
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(-4.26)).toBe("-4.3 ms");
    expect(formatMs(-0.01)).toBe("0.0 ms");
    expect(formatMs(null)).toBe("");
    expect(formatMs(undefined)).toBe("");
    expect(formatMs(NaN)).toBe("");
  });

  it("a rate as signed ppm from 1, and with the raw rate", () => {
    expect(ppm(1.001)).toBeCloseTo(1000, 6);
    expect(formatPpm(1.001)).toBe("+1000 ppm");
    expect(formatPpm(0.9999875)).toBe("-12.5 ppm");
    expect(formatPpm(1)).toBe("0 ppm");
    expect(formatRate(0, 1.001)).toBe("+1000 ppm (1.001)");
    expect(formatRate(null, 1.001)).toBe("");
  });

  it("an offset to 3 decimals, or proportional; media times to 3 decimals", () => {
    expect(formatOffset(1.23456)).toBe("1.235 s");
    expect(formatOffset(-0.5)).toBe("-0.500 s");
    expect(formatOffset(null)).toBe("proportional");
    expect(formatMedia(12.3456)).toBe("12.346 s");
  });

  const fit: Fit = {
    track: "cam",
    model: "linear",
    offset: 1.5,
    rate: 1.0002,
    knots: null,
    rms_ms: 3.21,
    max_ms: 5.5,
    residuals: [
      { id: "a", media_time: 2.5, residual_ms: 1.25 },
      { id: "b", media_time: 6.5, residual_ms: -5.5 },
    ],
  };

  it("a fit's summary and residuals by id", () => {
    expect(fitSummary(fit)).toBe("linear fit: offset 1.500 s, rate +200 ppm; rms 3.2 ms, max 5.5 ms");
    expect(fitSummary({ ...fit, model: "piecewise", knots: [[0, 1], [5, 6], [9, 10]] })).toContain("3 knots");
    expect([...fitResiduals(fit)]).toEqual([["a", 1.25], ["b", -5.5]]);
    expect(fitResiduals(null).size).toBe(0);
  });

  it("suggestion rows, best first, low confidence marked", () => {
    const rows = candidateRows(
      [
        { offset: 1.2345, rate: 1.0001, confidence: 0.91, method: "audio" },
        { offset: -3, rate: 1, confidence: 0.2, method: "motion" },
      ],
      0.5,
    );
    expect(rows).toEqual([
      { offset: "1.234 s", rate: "+100 ppm", confidence: "0.91", low: false, method: "audio" },
      { offset: "-3.000 s", rate: "0 ppm", confidence: "0.20 (low)", low: true, method: "motion" },
    ]);
  });

  it("counts a mapping's knots (fewer than two are none)", () => {
    expect(knotCount(linear(1))).toBe(0);
    expect(knotCount({ ...linear(1), knots: null })).toBe(0);
    expect(knotCount({ ...linear(1), knots: [[0, 1]] })).toBe(0);
    expect(knotCount({ ...linear(1), knots: [[0, 1], [2, 3]] })).toBe(2);
  });

  it("reads the search range, or says why not", () => {
    expect(searchRange("-60", "60")).toEqual([-60, 60]);
    expect(searchRange("1.5", "2")).toEqual([1.5, 2]);
    expect(searchRange("", "60")).toMatch(/two numbers/);
    expect(searchRange("abc", "60")).toMatch(/two numbers/);
    expect(searchRange("5", "5")).toMatch(/below its end/);
  });

  it("checks a video by motion, audio by sound", () => {
    expect(defaultFeature("video")).toBe("motion");
    expect(defaultFeature("audio")).toBe("audio");
    expect(defaultFeature(null)).toBe("audio");
  });
});

describe("marker geometry", () => {
  const points = [sp("late", "mic", 8, 9), sp("a", "cam", 2, 3.5), sp("out", "cam", 20, 21), sp("edge", "cam", 10, 11)];
  const format = (rel: number) => `${rel.toFixed(1)} s`;

  it("places the points on the plot, through the one scale, in data-time order", () => {
    const spots = markerSpots(points, scale(0, 10, 200), "cam", format);
    expect(spots.map((s) => [s.id, s.left, s.active])).toEqual([
      ["a", 40, true],
      ["late", 160, false],
      ["edge", 200, true],
    ]);
  });

  it("says track, data time and media time in the tooltip", () => {
    const [a] = markerSpots([points[1]], scale(0, 10, 100), null, format);
    expect(a.title).toBe("sync point · cam · data 2.0 s · media 3.500 s");
    expect(a.active).toBe(false);
  });

  it("leaves out what is off the window, and non-finite times", () => {
    expect(markerSpots(points, scale(3, 7, 100), "cam", format)).toEqual([]);
    expect(markerSpots([sp("n", "cam", NaN, 1)], scale(0, 10, 100), "cam", format)).toEqual([]);
  });
});
