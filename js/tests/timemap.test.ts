import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dataWidth, slopeAt, toData, toMedia, type TimeMap } from "../timemap";

interface Case {
  name: string;
  span: number;
  duration: number | null;
  offset: number | null;
  rate: number;
  rel: number;
  window: number;
  media: number;
  knots?: [number, number][];
}

// The same cases tests/test_timemap.py checks on the Python side.
const cases: Case[] = JSON.parse(readFileSync(new URL("../../tests/mapping_cases.json", import.meta.url), "utf8")).cases;

const mapOf = (c: Case): TimeMap => ({ span: c.span, duration: c.duration, offset: c.offset, rate: c.rate, knots: c.knots ?? null });

describe("data -> media mapping (shared cases)", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(toMedia(c.rel, mapOf(c))).toBeCloseTo(c.media, 9);
    expect(toData(toMedia(c.rel, mapOf(c)), mapOf(c))).toBeCloseTo(c.rel, 9);
  });

  it("does not depend on the window width, unlike the seed recipe", () => {
    const m: TimeMap = { span: 100, duration: 50, offset: null, rate: 1 };
    const recipe = (rel: number, w: number) => (50 * rel) / (100 - w);
    expect(toMedia(40, m)).toBe(20);
    expect(recipe(40, 80)).toBe(100); // five times too far
  });

  it("converts widths through the active mapping", () => {
    expect(dataWidth(5, { span: 30, duration: 60, offset: null, rate: 1 })).toBeCloseTo(2.5);
    expect(dataWidth(5, { span: 30, duration: null, offset: null, rate: 1 })).toBeCloseTo(5);
    expect(dataWidth(5, { span: 30, duration: 60, offset: 0, rate: 2 })).toBeCloseTo(2.5);
  });
});

describe("piecewise mapping", () => {
  const m: TimeMap = { span: 300, duration: 400, offset: 5, rate: 1, knots: [[0, 1], [100, 101], [200, 203]] };
  it("overrides offset and rate, and has a local slope per segment", () => {
    expect(toMedia(0, m)).toBe(1);
    expect(slopeAt(50, m)).toBeCloseTo(1, 12);
    expect(slopeAt(150, m)).toBeCloseTo(1.02, 12);
    expect(slopeAt(500, m)).toBeCloseTo(1.02, 12);
    expect(slopeAt(-5, m)).toBeCloseTo(1, 12);
  });
  it("is continuous at the knots and inverts everywhere", () => {
    for (const rel of [-20, 0, 99.999999, 100, 100.000001, 150, 200, 1000]) {
      expect(toData(toMedia(rel, m), m)).toBeCloseTo(rel, 9);
    }
    expect(toMedia(100 - 1e-9, m)).toBeCloseTo(toMedia(100 + 1e-9, m), 6);
  });
  it("widths use the mean slope", () => {
    expect(dataWidth(2.02, m)).toBeCloseTo(2.02 / 1.01, 12);
  });
});
