import { describe, expect, it } from "vitest";
import { DriftCorrector, SMOOTHING, type Correction } from "../drift";

const FRAME = 1 / 30;
const AUDIO = 0.02;

function rateOf(c: Correction): number {
  if (c.kind !== "rate") throw new Error(`expected a rate, got ${JSON.stringify(c)}`);
  return c.rate;
}

describe("DriftCorrector", () => {
  it("keeps the base rate inside the deadband (a quarter of the tolerance)", () => {
    const c = new DriftCorrector();
    expect(c.correct(0, 1.25, FRAME)).toEqual({ kind: "rate", rate: 1.25 });
    expect(c.correct(FRAME / 5, 1.25, FRAME)).toEqual({ kind: "rate", rate: 1.25 });
    expect(c.correct(-FRAME / 5, 1.25, FRAME)).toEqual({ kind: "rate", rate: 1.25 });
  });

  it("bends the rate in proportion: ahead runs slower, behind runs faster", () => {
    const fresh = () => new DriftCorrector({ tau: 0.5, maxBend: 0.1 });
    expect(rateOf(fresh().correct(0.02, 1, FRAME))).toBeCloseTo(1 - 0.02 / 0.5, 12);
    expect(rateOf(fresh().correct(-0.02, 1, FRAME))).toBeCloseTo(1 + 0.02 / 0.5, 12);
    // The bend is relative to the base rate.
    expect(rateOf(fresh().correct(0.02, 2, FRAME))).toBeCloseTo(2 * (1 - 0.04), 12);
    expect(rateOf(fresh().correct(-0.02, 0.5, FRAME))).toBeCloseTo(0.5 * (1 + 0.04), 12);
  });

  it("acts on the error smoothed over a few corrections, so one jittery reading moves little", () => {
    const c = new DriftCorrector({ tau: 0.5, maxBend: 0.1 });
    c.correct(0.02, 1, FRAME);
    // One reading 20 ms the other way moves the smoothed error by SMOOTHING of the jump.
    const e = 0.02 + SMOOTHING * (-0.02 - 0.02);
    expect(rateOf(c.correct(-0.02, 1, FRAME))).toBeCloseTo(1 - e / 0.5, 12);
  });

  it("does not make rate changes smaller than RATE_STEP", () => {
    const c = new DriftCorrector({ tau: 0.5, maxBend: 0.1 });
    const first = rateOf(c.correct(0.02, 1, FRAME));
    // 0.5 ms more error is a 0.1% change: the rate stays.
    expect(rateOf(c.correct(0.0205, 1, FRAME))).toBe(first);
  });

  it("keeps correcting down to a tenth of the tolerance (hysteresis), then returns to the base rate", () => {
    const c = new DriftCorrector();
    const hold = (err: number) => {
      let r = 0;
      for (let i = 0; i < 60; i++) r = rateOf(c.correct(err, 1, FRAME));
      return r;
    };
    expect(hold(FRAME / 2)).toBeLessThan(1);
    // Below the start threshold, but still correcting.
    expect(hold(FRAME / 5)).toBeLessThan(1);
    expect(hold(FRAME / 20)).toBe(1);
    // Stopped: the same error as before no longer bends.
    expect(hold(FRAME / 5)).toBe(1);
  });

  it("clamps the bend at maxBend", () => {
    const fresh = () => new DriftCorrector({ maxBend: 0.1 });
    expect(rateOf(fresh().correct(0.2, 1, FRAME))).toBeCloseTo(0.9, 12);
    expect(rateOf(fresh().correct(-0.2, 1, FRAME))).toBeCloseTo(1.1, 12);
    expect(rateOf(fresh().correct(-0.2, 2, FRAME))).toBeCloseTo(2.2, 12);
    const narrow = new DriftCorrector({ maxBend: 0.02 });
    expect(rateOf(narrow.correct(0.2, 1, FRAME))).toBeCloseTo(0.98, 12);
  });

  it("seeks above the threshold, leading by the seek latency times the base rate", () => {
    const c = new DriftCorrector({ seekAbove: 0.25 });
    expect(c.correct(0.26, 1, FRAME)).toEqual({ kind: "seek", lead: c.seekLatency });
    expect(c.correct(-3, 1.5, FRAME)).toEqual({ kind: "seek", lead: c.seekLatency * 1.5 });
    expect(c.seekLatency).toBe(0.08);
    // Just below the threshold: a (clamped) rate, not a seek.
    expect(c.correct(0.24, 1, FRAME).kind).toBe("rate");
    // The threshold is at least four tolerances.
    expect(c.correct(0.39, 1, 0.1).kind).toBe("rate");
    expect(c.correct(0.41, 1, 0.1).kind).toBe("seek");
    expect(new DriftCorrector({ seekAbove: 1 }).correct(0.9, 1, FRAME).kind).toBe("rate");
  });

  it("answers nothing for a non-finite error", () => {
    const c = new DriftCorrector();
    expect(c.correct(Number.NaN, 1, FRAME)).toEqual({ kind: "none" });
    expect(c.correct(Infinity, 1, FRAME)).toEqual({ kind: "none" });
  });

  it("smooths the seek latency from seeked() and ignores implausible durations", () => {
    const c = new DriftCorrector();
    c.seeked(0.2);
    expect(c.seekLatency).toBeCloseTo(0.7 * 0.08 + 0.3 * 0.2, 12);
    const after = c.seekLatency;
    c.seeked(Number.NaN);
    c.seeked(-0.1);
    c.seeked(2);
    expect(c.seekLatency).toBe(after);
    expect(c.correct(1, 2, FRAME)).toEqual({ kind: "seek", lead: after * 2 });
  });

  it("reset() stops a correction in progress", () => {
    const c = new DriftCorrector();
    expect(rateOf(c.correct(FRAME / 2, 1, FRAME))).toBeLessThan(1);
    c.reset();
    expect(rateOf(c.correct(FRAME / 5, 1, FRAME))).toBe(1);
  });
});

// -- simulation --------------------------------------------------------------------------

interface Sim {
  /** The element's clock error (0.0001 = 100 ppm fast, negative = slow). */
  drift: number;
  /** The target's base playback rate. */
  base: number;
  /** Element time minus target at the start (seconds). */
  initialError: number;
  tolerance: number;
  seconds?: number;
  /** How long a seek takes; the element does not advance meanwhile. */
  seekLatency?: number;
}

const HZ = 60;
const SETTLE_S = 2;
/** Rate changes counted from here on (the initial error closed long before). */
const STEADY_S = 10;

/**
 * Run the corrector against a simulated element, as the follower does: each
 * frame read the error, apply the answer (a rate, or a seek that lands at
 * target + lead after `seekLatency`, no corrections meanwhile).
 */
function simulate(s: Sim) {
  const dt = 1 / HZ;
  const steps = Math.round((s.seconds ?? 600) * HZ);
  const latencySteps = Math.round((s.seekLatency ?? 0.08) / dt);
  const c = new DriftCorrector();
  let target = 10;
  let media = target + s.initialError;
  let rate = s.base;
  let seekLands = -1;
  let seekTo = 0;
  let seeks = 0;
  let lateSeeks = 0;
  let steadyRateChanges = 0;
  let maxSettled = 0;
  let worstAt = -1;
  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    if (seekLands >= 0 && i >= seekLands) {
      media = seekTo;
      seekLands = -1;
      c.seeked(latencySteps * dt);
    }
    const error = media - target;
    if (t >= SETTLE_S && Math.abs(error) > maxSettled) {
      maxSettled = Math.abs(error);
      worstAt = t;
    }
    if (seekLands < 0) {
      const answer = c.correct(error, s.base, s.tolerance);
      if (answer.kind === "seek") {
        seeks++;
        if (t >= SETTLE_S) lateSeeks++;
        seekTo = target + answer.lead;
        seekLands = i + latencySteps;
      } else if (answer.kind === "rate") {
        if (Math.abs(answer.rate - rate) > 1e-9 && t >= STEADY_S) steadyRateChanges++;
        rate = answer.rate;
      }
    }
    target += s.base * dt;
    if (seekLands < 0) media += rate * (1 + s.drift) * dt;
  }
  return { steps, seeks, lateSeeks, steadyRateChanges, maxSettled, worstAt };
}

describe("DriftCorrector against a drifting element (10 minutes at 60 Hz)", () => {
  const cases: [number, number, number][] = [];
  for (const drift of [100e-6, -100e-6, 1000e-6, -1000e-6])
    for (const base of [1, 1.001])
      for (const initialError of [0.5, -0.5, 0.04, -0.04]) cases.push([drift, base, initialError]);

  it.each(cases)("video: drift %d, base %d, initial error %d s stays within a frame after 2 s", (drift, base, initialError) => {
    const r = simulate({ drift, base, initialError, tolerance: FRAME });
    expect(r.maxSettled, `worst at ${r.worstAt.toFixed(2)} s`).toBeLessThan(FRAME);
    expect(r.seeks).toBeLessThanOrEqual(2);
    expect(r.lateSeeks).toBe(0);
    // Steady state: the element runs at its base rate most of the time (a burst of
    // changes each time the drift crosses a quarter frame: every ~50 s at 100 ppm, ~5 s at 1000 ppm).
    const limit = Math.abs(drift) <= 100e-6 ? r.steps / 50 : r.steps / 5;
    expect(r.steadyRateChanges).toBeLessThan(limit);
  });

  it.each([
    [100e-6, 1, 0.5],
    [-1000e-6, 1.001, 0.5],
    [1000e-6, 1, -0.04],
    [-100e-6, 1.001, 0.04],
  ])("audio: drift %d, base %d, initial error %d s stays within 20 ms after 2 s", (drift, base, initialError) => {
    const r = simulate({ drift, base, initialError, tolerance: AUDIO });
    expect(r.maxSettled, `worst at ${r.worstAt.toFixed(2)} s`).toBeLessThan(AUDIO);
    expect(r.seeks).toBeLessThanOrEqual(2);
    expect(r.lateSeeks).toBe(0);
  });

  it("with 100 ppm the rate changes only in short bursts, far apart", () => {
    const r = simulate({ drift: 100e-6, base: 1, initialError: 0, tolerance: FRAME });
    // 100 ppm crosses the quarter-frame start threshold about every 50 s; each burst is a few dozen frames.
    expect(r.steadyRateChanges).toBeGreaterThan(0);
    expect(r.steadyRateChanges).toBeLessThan(r.steps / 50);
    expect(r.seeks).toBe(0);
  });

  it("a slow seek (200 ms) still ends in step after the latency is learnt", () => {
    const r = simulate({ drift: 100e-6, base: 1, initialError: 0.5, tolerance: FRAME, seekLatency: 0.2 });
    expect(r.maxSettled).toBeLessThan(FRAME);
    expect(r.seeks).toBeLessThanOrEqual(2);
  });
});

describe("DriftCorrector: landings (a start, or a sound track's seek while playing)", () => {
  it("a start lands ahead by its lead, is left alone while it settles, then its error teaches the lead", () => {
    const c = new DriftCorrector();
    expect(c.startLead(2)).toBeCloseTo(c.leads.start * 2, 12);
    const lead = c.leads.start;
    c.landed("start", 1, 3);
    // While it settles (two corrections), a large error changes nothing.
    expect(c.correct(-0.05, 1, FRAME)).toEqual({ kind: "rate", rate: 1 });
    expect(c.correct(-0.05, 1, FRAME)).toEqual({ kind: "rate", rate: 1 });
    // Then: 50 ms behind, so start further ahead next time (half the error: one landing is
    // partly chance); and the error is corrected.
    const after = c.correct(-0.05, 1, FRAME);
    expect(c.leads.start).toBeCloseTo(lead + 0.025, 12);
    expect(after.kind === "rate" && after.rate).toBeGreaterThan(1);
    // A landing ahead teaches a shorter lead, never below 0.
    c.landed("start", 1, 1);
    c.correct(1, 1, 10);
    expect(c.leads.start).toBe(0);
    c.landed("start", 1, 1);
    c.correct(-2, 1, 10);
    expect(c.leads.start).toBe(0.5); // and never beyond half a second
  });

  it("without bending (sound at rate 1), a gap over JUMP_AT of the tolerance is a seek whose landing teaches the jump lead", () => {
    const c = new DriftCorrector();
    const tol = 0.02;
    expect(c.correct(0.014, 1, tol, false)).toEqual({ kind: "rate", rate: 1 }); // within JUMP_AT: untouched
    const fresh = new DriftCorrector();
    expect(fresh.correct(0.016, 1, tol, false)).toEqual({ kind: "seek", lead: fresh.leads.jump });
    const jump = fresh.leads.jump;
    for (let i = 0; i < 9; i++) expect(fresh.correct(0.5, 1, tol, false)).toEqual({ kind: "rate", rate: 1 });
    fresh.correct(-0.03, 1, tol, false); // settled 30 ms behind
    expect(fresh.leads.jump).toBeCloseTo(jump + 0.015, 12);
    expect(fresh.leads.start).toBe(new DriftCorrector().leads.start); // the other lead is untouched
  });

  it("a reset (the clock jumped) forgets a landing in progress", () => {
    const c = new DriftCorrector();
    const lead = c.leads.start;
    c.landed("start", 1, 2);
    c.reset();
    c.correct(-0.05, 1, FRAME);
    expect(c.leads.start).toBe(lead);
  });
});
