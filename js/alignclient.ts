/**
 * The alignment panel's requests to the kernel (see tsvideo_widget/alignrequests.py):
 * fit a mapping to a track's sync points, apply or undo a mapping, suggest
 * offsets from the data and the media, and a track's media feature for the
 * alignment check. Types and timeouts come from wire.json. One client per
 * view: it keeps that view's media features, per track and method.
 */

import { asTyped } from "./buffers";
import type { RequestChannel } from "./requests";
import { ALIGN, ALIGN_FEATURE_TIMEOUT_MS, ALIGN_SUGGEST_TIMEOUT_MS, ALIGN_TIMEOUT_MS } from "./wire";

/** A fitted mapping of one track and how well it meets its sync points. */
export interface Fit {
  track: string;
  /** The model fitted ("offset", "linear", "piecewise"). */
  model: string;
  /** Media seconds at the first sample. */
  offset: number;
  /** Media seconds per data second. */
  rate: number;
  /** Piecewise: [data rel seconds, media seconds] knots; else null. */
  knots: [number, number][] | null;
  rms_ms: number;
  max_ms: number;
  /** Each sync point's residual (media time minus fitted, ms), by id. */
  residuals: { id: string; media_time: number; residual_ms: number }[];
}

/** A suggested alignment of a track. */
export interface Candidate {
  offset: number;
  rate: number;
  /** How sure the method is, in its own terms (compare with `low_confidence`). */
  confidence: number;
  method: string;
}

/** The kernel's suggestions, best first; a confidence below `low_confidence` is weak. */
export interface Suggestions {
  candidates: Candidate[];
  low_confidence: number;
}

/** A media feature over the whole media: value i at media second t0 + i * dt. */
export interface Feature {
  t0: number;
  dt: number;
  values: Float32Array;
  method: string;
}

/** One view's alignment requests over the model's request channel, with its media features held per track and method. */
export class AlignClient {
  private readonly features = new Map<string, Promise<Feature>>();

  constructor(private readonly channel: RequestChannel) {}

  /** Fit model `model` (one of ALIGN_MODELS) to track `track`'s sync points. */
  async fit(track: string, model: string): Promise<Fit> {
    const { msg } = await this.channel.request(ALIGN.fit, { track, model }, ALIGN_TIMEOUT_MS);
    return msg.fit as Fit;
  }

  /** Make track `track`'s mapping this one (the traits change; the panel follows the model). */
  async apply(track: string, offset: number, rate: number, knots: [number, number][] | null): Promise<void> {
    await this.channel.request(ALIGN.apply, { track, offset, rate, knots }, ALIGN_TIMEOUT_MS);
  }

  /** Go back to track `track`'s previous mapping. */
  async undo(track: string): Promise<void> {
    await this.channel.request(ALIGN.undo, { track }, ALIGN_TIMEOUT_MS);
  }

  /** Suggest alignments of `track` against data channel `channel`, offsets within `search` (seconds). */
  async suggest(track: string, channel: string, method: string, search: [number, number]): Promise<Suggestions> {
    const { msg } = await this.channel.request(ALIGN.suggest, { track, channel, method, search }, ALIGN_SUGGEST_TIMEOUT_MS);
    return { candidates: (msg.candidates as Candidate[] | undefined) ?? [], low_confidence: Number(msg.low_confidence ?? 0) };
  }

  /** The feature `method` ("audio" or "motion") of track `track`'s media; asked once, unless it failed. */
  feature(track: string, method: string): Promise<Feature> {
    const key = JSON.stringify([track, method]);
    let held = this.features.get(key);
    if (!held) {
      held = this.channel.request(ALIGN.feature, { track, method }, ALIGN_FEATURE_TIMEOUT_MS).then(({ msg, buffers }) => ({
        t0: Number(msg.t0),
        dt: Number(msg.dt),
        values: asTyped(buffers[0], "float32") as Float32Array,
        method: String(msg.method ?? method),
      }));
      // A failed request is asked again next time (the kernel may have been busy or restarted).
      held.catch(() => {
        if (this.features.get(key) === held) this.features.delete(key);
      });
      this.features.set(key, held);
    }
    return held;
  }

  /** Forget the features held (the media changed). */
  clear(): void {
    this.features.clear();
  }
}
