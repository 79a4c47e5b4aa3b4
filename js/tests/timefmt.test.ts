import { describe, expect, it } from "vitest";
import { clockStep, dayLabel, formatTick, formatTime, niceStep, ticks, type TimeMeta } from "../timefmt";

const secs: TimeMeta = { kind: "numeric", unit: "s", t0: 0 };

describe("numeric time axes", () => {
  it("picks 1-2-5 steps", () => {
    expect(niceStep(0.13)).toBeCloseTo(0.2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(10)).toBe(10);
  });
  it("puts ticks on round values of the column's own terms", () => {
    const meta: TimeMeta = { kind: "numeric", unit: "ms", t0: 1003 };
    const t = ticks(0, 0.1, 5, meta); // 1003..1103 ms
    const own = t.map((r) => 1003 + r * 1000);
    expect(own[0]).toBeCloseTo(1020);
    expect(own[1] - own[0]).toBeCloseTo(20);
    expect(formatTick(t[0], 20, meta)).toBe("1020");
  });
  it("labels with as many decimals as the step needs", () => {
    expect(formatTick(1.5, 0.5, secs)).toBe("1.5");
    expect(formatTick(1.25, 0.05, secs)).toBe("1.25");
    expect(formatTime(2.5, secs)).toBe("2.500000 s");
  });
});

describe("datetime axes", () => {
  // 2024-05-01 12:00:07.25 wall clock
  const wall = Date.UTC(2024, 4, 1, 12, 0, 7) / 1000;
  const meta: TimeMeta = { kind: "datetime", unit: "s", t0: "", t0_wall_s: wall, t0_frac: 0.25 };

  it("chooses clock steps", () => {
    expect(clockStep(7)).toBe(10);
    expect(clockStep(40)).toBe(60);
    expect(clockStep(0.0003)).toBeCloseTo(0.0005);
  });
  it("aligns ticks to round wall-clock times", () => {
    const t = ticks(0, 60, 6, meta);
    // First round 10 s after 12:00:07.25 is 12:00:10, 2.75 s in.
    expect(t[0]).toBeCloseTo(2.75);
    expect(formatTick(t[0], 10, meta)).toBe("12:00:10");
    expect(formatTick(t[1], 10, meta)).toBe("12:00:20");
  });
  it("shows sub-second and microsecond ticks exactly", () => {
    const t = ticks(0, 0.001, 5, meta);
    expect(formatTick(t[0], 0.0002, meta)).toBe("12:00:07.2500");
    expect(formatTime(0.000001, meta)).toBe("2024-05-01 12:00:07.250001");
  });
  it("labels the day under the first tick and where it changes", () => {
    expect(dayLabel(0, null, meta)).toBe("2024-05-01");
    expect(dayLabel(10, 0, meta)).toBe("");
    expect(dayLabel(86400, 0, meta)).toBe("2024-05-02");
  });
});
