/**
 * What one view's playback tells the model and hears from it: the `playing`
 * trait both ways, the first track's `media_time` (through
 * {@link MediaTimeSync}, which also turns a `media_time` set from Python into
 * a seek), and the other tracks' media times in `_track_times`, at most every
 * REPORT_MS while playing and at once after a seek.
 */

import type { AnyModel } from "@anywidget/types";
import { MediaTimeSync, type MediaClock } from "./mediatime";
import type { MediaTrack } from "./mediatrack";
import { setTrackTimes } from "./trackmodel";

/** Report media times to the kernel at most this often while playing (ms). */
export const REPORT_MS = 250;

export class Reporter {
  private lastReport = -Infinity;
  private readonly firstTime: MediaTimeSync;

  /**
   * `first`: the view's first track and data clock (null without media);
   * `playing`: the model's `playing` changed to this.
   */
  constructor(
    private readonly model: AnyModel,
    private readonly tracks: () => MediaTrack[],
    first: () => MediaClock | null,
    private readonly playing: (p: boolean) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.firstTime = new MediaTimeSync(model, first);
    model.on("change:playing", this.onPlaying);
    model.on("change:media_time", this.firstTime.onModelMediaTime);
  }

  private readonly onPlaying = (): void => this.playing(this.model.get("playing") as boolean);

  /** Set the `playing` trait (when it differs). */
  setPlaying(p: boolean): void {
    if (this.model.get("playing") === p) return;
    this.model.set("playing", p);
    this.model.save_changes();
  }

  /** Write the tracks' media times: at most every REPORT_MS, at once when `force`. */
  report(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastReport < REPORT_MS) return;
    this.lastReport = now;
    this.firstTime.report();
    const times: Record<string, number> = {};
    for (const t of this.tracks().slice(1)) times[t.name] = t.player.currentTime;
    if (setTrackTimes(this.model, times)) this.model.save_changes();
  }

  dispose(): void {
    this.model.off("change:playing", this.onPlaying);
    this.model.off("change:media_time", this.firstTime.onModelMediaTime);
  }
}
