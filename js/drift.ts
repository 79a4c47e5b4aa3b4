/**
 * Drift correction of one media element against the data clock.
 *
 * Every element runs on its own clock (and so does every camera that
 * recorded the file: consumer clocks drift by about 100 ppm). The corrector
 * compares the element's time with its mapped target and answers with a
 * playback rate that closes the gap smoothly (a proportional controller with
 * a deadband, so a track in step keeps its base rate and is not touched), or
 * with a seek when the gap is too large to close by running faster or slower
 * (after a stall, or a seek of the data clock). A seek lands `lead` seconds
 * ahead, the latency the element's seeks have shown, so it ends in step.
 */

export interface DriftOptions {
  /** Gaps above this many seconds are closed with a seek (default 0.25 s). */
  seekAbove?: number;
  /** Largest relative change of the playback rate (default 0.2: 20% faster or slower, for a moment). */
  maxBend?: number;
  /** Seconds in which a gap is closed (the controller's time constant; default 0.3 s). */
  tau?: number;
}

export type Correction = { kind: "rate"; rate: number } | { kind: "seek"; lead: number } | { kind: "none" };

export class DriftCorrector {
  private readonly seekAbove: number;
  private readonly maxBend: number;
  private readonly tau: number;
  /** True while closing a gap (until it is below a tenth of the tolerance). */
  private correcting = false;
  /** Seconds a seek of this element takes (smoothed), what a seek should lead by. */
  seekLatency = 0.08;

  constructor(opts: DriftOptions = {}) {
    this.seekAbove = opts.seekAbove ?? 0.25;
    this.maxBend = opts.maxBend ?? 0.2;
    this.tau = opts.tau ?? 0.3;
  }

  /**
   * What to do about `error` media seconds (element time minus target; > 0 is
   * ahead) for an element that should run at playback rate `base`, with
   * `tolerance` seconds of allowed error (a frame for video, 20 ms for audio).
   */
  correct(error: number, base: number, tolerance: number): Correction {
    if (!Number.isFinite(error)) return { kind: "none" };
    if (Math.abs(error) > Math.max(this.seekAbove, 4 * tolerance)) {
      this.correcting = false;
      return { kind: "seek", lead: this.seekLatency * base };
    }
    // Start correcting at a quarter of the tolerance, stop at a tenth (hysteresis).
    if (Math.abs(error) > tolerance / 4) this.correcting = true;
    else if (Math.abs(error) < tolerance / 10) this.correcting = false;
    if (!this.correcting) return { kind: "rate", rate: base };
    const bend = Math.max(-this.maxBend, Math.min(this.maxBend, error / this.tau));
    return { kind: "rate", rate: base * (1 - bend) };
  }

  /** A seek took `seconds`: lead the next ones by about as much. */
  seeked(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0 && seconds < 2) this.seekLatency = 0.7 * this.seekLatency + 0.3 * seconds;
  }

  reset(): void {
    this.correcting = false;
  }
}
