import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dataWidth, toData, toMedia, type TimeMap } from "../timemap";

interface Case {
  name: string;
  span: number;
  duration: number | null;
  offset: number | null;
  rate: number;
  rel: number;
  window: number;
  media: number;
}

// The same cases tests/test_timemap.py checks on the Python side.
const cases: Case[] = JSON.parse(readFileSync(new URL("../../tests/mapping_cases.json", import.meta.url), "utf8")).cases;

const mapOf = (c: Case): TimeMap => ({ span: c.span, duration: c.duration, offset: c.offset, rate: c.rate });

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
