/**
 * Puts one track where the data clock says: a seek while paused, and while
 * playing, play with drift correction ({@link DriftCorrector}), one
 * corrector per track.
 */

import { DriftCorrector } from "./drift";
import type { MediaTrack } from "./mediatrack";

/** A sound track whose base rate is within this of 1 (2000 ppm) plays at exactly 1. */
export const AUDIO_SNAP = 0.002;

/** Share of a frame a playing video aims ahead of its mapped time. */
export const VIDEO_AHEAD = 0.25;

export class Follower {
  private readonly correctors = new WeakMap<MediaTrack, DriftCorrector>();

  private corrector(track: MediaTrack): DriftCorrector {
    let c = this.correctors.get(track);
    if (!c) this.correctors.set(track, (c = new DriftCorrector()));
    return c;
  }

  /**
   * Bring `track` to media time `target`. Paused (`running` false): seek when
   * it is off by half its tolerance (or always, `force`). Playing at base
   * playback rate `base`: start it in step, then nudge its rate or seek.
   */
  follow(track: MediaTrack, target: number, running: boolean, base: number, force = false): void {
    const p = track.player;
    // Chromium plays sound at any rate but 1 through a time-stretcher whose
    // clock skips by ~30 ms when it starts: a sound track near rate 1 runs at
    // exactly 1, and its small drift is closed now and then by a seek.
    const steady = track.kind === "audio" && Math.abs(base - 1) < AUDIO_SNAP;
    if (steady) base = 1;
    if (!running) {
      if (force || Math.abs(p.currentTime - target) > track.tolerance / 2) p.seek(target);
      return;
    }
    // A playing video's shown frame trails its clock by up to a frame as the display's
    // cadence slides against the video's (faster still at rates other than 1): aim a
    // quarter frame ahead, so the frame shown is the one that holds the target.
    if (track.kind === "video") target += track.tolerance * VIDEO_AHEAD;
    const corrector = this.corrector(track);
    if (p.paused) {
      if (track.kind === "audio") {
        // Sound takes a seek and a moment more to start: land ahead by what that took before.
        p.seek(target + corrector.startLead(base));
        corrector.landed("start", base);
      } else if (Math.abs(p.currentTime - target) > track.tolerance) {
        // A video starts at once: seek only when it is not in step already.
        p.seek(target + corrector.seekLatency * base);
      }
      p.setRate(base);
      p.play();
      return;
    }
    if (p.seeking) return;
    const c = corrector.correct(p.currentTime - target, base, track.tolerance, !steady);
    if (c.kind === "seek") p.seek(target + c.lead);
    else if (c.kind === "rate") p.setRate(c.rate);
  }

  /** A seek of `track` that this code asked for took `seconds`. */
  seeked(track: MediaTrack, seconds: number): void {
    this.corrector(track).seeked(seconds);
  }

  /** The clock jumped: every track starts afresh. */
  reset(tracks: MediaTrack[]): void {
    for (const t of tracks) this.correctors.get(t)?.reset();
  }
}
