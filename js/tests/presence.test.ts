import { describe, expect, it } from "vitest";
import { absentText, coverage } from "../presence";
import type { TimeMap } from "../timemap";

const fmt = (rel: number) => `${rel.toFixed(2)} s`;

/** A track starting at data 3 s (media 0), media seconds per data second 1. */
const late: TimeMap = { span: 100, duration: 20, offset: -3, rate: 1 };

describe("coverage", () => {
  it("explicit mapping: before the first frame, within the media, after its end", () => {
    expect(coverage(late, 20, 2.999)).toBe("before");
    expect(coverage(late, 20, 3)).toBe("media");
    expect(coverage(late, 20, 22.999)).toBe("media");
    expect(coverage(late, 20, 23)).toBe("after");
    expect(coverage(late, 20, 50)).toBe("after");
  });

  it("explicit mapping with a rate: the end is where the media's duration maps", () => {
    // media = 2.35 + 1.5 * rel: media 0 at rel -1.567, media 30 at rel 18.43.
    const m: TimeMap = { span: 100, duration: 30, offset: 2.35, rate: 1.5 };
    expect(coverage(m, 30, 0)).toBe("media");
    expect(coverage(m, 30, 18.4)).toBe("media");
    expect(coverage(m, 30, 18.5)).toBe("after");
  });

  it("explicit mapping before the duration is known: never after", () => {
    const m: TimeMap = { ...late, duration: null };
    expect(coverage(m, null, 1)).toBe("before");
    expect(coverage(m, null, 1e6)).toBe("media");
  });

  it("proportional mapping: unknown until the duration is known, then the media spans the data", () => {
    const unknown: TimeMap = { span: 100, duration: null, offset: null, rate: 1 };
    expect(coverage(unknown, null, 0)).toBe("unknown");
    expect(coverage(unknown, null, 50)).toBe("unknown");
    const m: TimeMap = { span: 100, duration: 40, offset: null, rate: 1 };
    expect(coverage(m, 40, 0)).toBe("media");
    expect(coverage(m, 40, 99.9)).toBe("media");
    expect(coverage(m, 40, -0.1)).toBe("before");
    expect(coverage(m, 40, 100)).toBe("after");
  });
});

describe("absentText", () => {
  it("names the track and when it starts, before its first frame", () => {
    expect(absentText("mic", late, 20, 1, fmt)).toBe("mic: no media here (starts at 3.00 s)");
  });

  it("names the track and when it ended, after its end", () => {
    expect(absentText("mic", late, 20, 30, fmt)).toBe("mic: no media here (ended at 23.00 s)");
    const m: TimeMap = { span: 100, duration: 30, offset: 2.35, rate: 1.5 };
    expect(absentText("side", m, 30, 50, fmt)).toBe(`side: no media here (ended at ${fmt((30 - 2.35) / 1.5)})`);
  });

  it("writes times with the caller's format", () => {
    expect(absentText("cam", late, 20, 0, (rel) => `t=${rel}`)).toBe("cam: no media here (starts at t=3)");
  });
});
