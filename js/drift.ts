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
 * ahead, the latency the element's seeks have shown, so it ends in step. A
 * track that starts playing, or a sound track put back in step by a seek
 * while it plays, lands ahead by a lead learned from where its last such
 * landing ended (audio output takes a moment to start again).
 */

export interface DriftOptions {
  /** Gaps above this many seconds are closed with a seek (default 0.25 s). */
  seekAbove?: number;
  /** Largest relative change of the playback rate (default 0.2: 20% faster or slower, for a moment). */
  maxBend?: number;
  /** Seconds in which a gap is closed (the controller's time constant; default 0.3 s). */
  tau?: number;
}

/** Weight of each new error in the smoothed one (about six corrections, 0.1 s at 60 Hz). */
export const SMOOTHING = 0.15;

/** Without bending, a gap over this share of the tolerance is closed with a seek. */
export const JUMP_AT = 0.75;

/** Relative rate changes smaller than this are not made (0.5%). */
export const RATE_STEP = 0.005;

export type Correction = { kind: "rate"; rate: number } | { kind: "seek"; lead: number } | { kind: "none" };

export class DriftCorrector {
  private readonly seekAbove: number;
  private readonly maxBend: number;
  private readonly tau: number;
  /** True while closing a gap (until it is below a tenth of the tolerance). */
  private correcting = false;
  /** Seconds a seek of this element takes (smoothed), what a seek should lead by. */
  seekLatency = 0.08;
  /**
   * Media seconds (at rate 1) to land ahead when starting a paused track
   * (`start`) or seeking a playing sound track (`jump`), learned from the
   * error once each landing settled.
   */
  readonly leads = { start: 0.09, jump: 0.075 };
  /** Corrections left to skip while a landing settles (its error then teaches its lead). */
  private settling = 0;
  /** The landing settling, whose lead its error teaches. */
  private landing: { kind: "start" | "jump"; base: number } | null = null;
  /**
   * The error smoothed over the last few corrections: an audio element's clock
   * reads with ~10 ms of jitter, which must not make its rate flutter (each
   * rate change of an audio element can make its clock skip).
   */
  private smoothed: number | null = null;
  /** The rate last answered; a new one within RATE_STEP of it is not worth a change. */
  private lastRate: number | null = null;

  constructor(opts: DriftOptions = {}) {
    this.seekAbove = opts.seekAbove ?? 0.25;
    this.maxBend = opts.maxBend ?? 0.2;
    this.tau = opts.tau ?? 0.3;
  }

  /**
   * What to do about `error` media seconds (element time minus target; > 0 is
   * ahead) for an element that should run at playback rate `base`, with
   * `tolerance` seconds of allowed error (a frame for video, 20 ms for audio).
   * Without `canBend` (sound at rate 1: bending it starts a time-stretcher
   * whose clock skips by ~30 ms), a gap over JUMP_AT of the tolerance is closed
   * with a seek that lands ahead by the seek latency and start lag, and the
   * error after it teaches the lag.
   */
  correct(error: number, base: number, tolerance: number, canBend = true): Correction {
    if (!Number.isFinite(error)) return { kind: "none" };
    if (this.settling > 0 && --this.settling > 0) return { kind: "rate", rate: base };
    if (this.landing) {
      const { kind } = this.landing;
      // Half a step: one landing's error is partly chance (a busy machine).
      this.leads[kind] = Math.max(0, Math.min(0.5, this.leads[kind] - error / base / 2));
      this.landing = null;
    }
    if (Math.abs(error) > Math.max(this.seekAbove, 4 * tolerance)) {
      this.reset();
      return { kind: "seek", lead: this.seekLatency * base };
    }
    const e = (this.smoothed = this.smoothed === null ? error : this.smoothed + SMOOTHING * (error - this.smoothed));
    if (!canBend) {
      // A seek shows its landing place until it plays on: seek only when the gap is most of the tolerance.
      if (Math.abs(e) <= JUMP_AT * tolerance) return { kind: "rate", rate: base };
      this.landed("jump", base);
      return { kind: "seek", lead: this.leads.jump * base };
    }
    // Start correcting at a quarter of the tolerance, stop at a tenth (hysteresis).
    if (Math.abs(e) > tolerance / 4) this.correcting = true;
    else if (Math.abs(e) < tolerance / 10) this.correcting = false;
    let rate = base;
    if (this.correcting) rate = base * (1 - Math.max(-this.maxBend, Math.min(this.maxBend, e / this.tau)));
    if (rate !== base && this.lastRate !== null && Math.abs(rate - this.lastRate) < RATE_STEP * base) rate = this.lastRate;
    this.lastRate = rate;
    return { kind: "rate", rate };
  }

  /** Media seconds ahead of its target a paused track should land when it starts playing at rate `base`. */
  startLead(base: number): number {
    return this.leads.start * base;
  }

  /**
   * A landing of `kind` at rate `base` was made: skip `frames` corrections
   * while it settles, then learn its lead from the error.
   */
  landed(kind: "start" | "jump", base: number, frames = 10): void {
    this.reset();
    this.settling = frames;
    this.landing = { kind, base };
  }

  /** A seek took `seconds`: lead the next ones by about as much. */
  seeked(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0 && seconds < 2) this.seekLatency = 0.7 * this.seekLatency + 0.3 * seconds;
  }

  reset(): void {
    this.correcting = false;
    this.settling = 0;
    this.landing = null;
    this.smoothed = null;
    this.lastRate = null;
  }
}
