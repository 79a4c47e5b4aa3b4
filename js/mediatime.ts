/**
 * The `media_time` trait for one view: report this view's media clock to the
 * model, and seek this view's media when `media_time` is a request.
 *
 * Views of one widget share one model, whose change events fire
 * synchronously inside `set()`, so a change that arrives while a view is
 * reporting is that view's report, not a request from Python. While playing,
 * every view runs its own media clock from the shared `playing` trait: a
 * sibling's report is then no reason to seek (seeking to it made two views
 * pull each other back, and a widget shown twice played at half speed).
 * Instead the view bends its playback rate towards the sibling's clock (both
 * do, so they meet within a frame), and seeks only when the sibling is far
 * away (it was seeked). While paused, a sibling's report is a seek (its
 * media's own controls) that the other views follow.
 */

import type { AnyModel } from "@anywidget/types";

/** Report media_time to the kernel at most this often while playing (ms). */
export const MEDIA_TIME_INTERVAL_MS = 250;

/** A playing sibling further away than this (media seconds) was seeked: follow it with a seek. */
export const SEEK_GAP_S = 0.5;

/** What the sync needs of a view's media element. */
export interface MediaClock {
  readonly currentTime: number;
  readonly paused: boolean;
  seek(t: number): void;
  /** While playing: run faster (gap > 0, seconds behind) or slower to close `gap`; 0 is normal speed. */
  bend(gap: number): void;
}

/** The view writing its media time into a model right now (change events fire inside that write). */
let reporter: MediaTimeSync | null = null;

export class MediaTimeSync {
  private recent: number[] = [];
  private lastReport = -Infinity;

  /**
   * `clock`: this view's media, or null while it has none. `willSeek`: called
   * just before a seek this class starts (the view decides whether the series follows).
   */
  constructor(
    private readonly model: AnyModel,
    private readonly clock: () => MediaClock | null,
    private readonly willSeek: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Write this view's media time to the model: at most every MEDIA_TIME_INTERVAL_MS, at once when `force`. */
  report(force: boolean): void {
    const clock = this.clock();
    if (!clock) return;
    const now = this.now();
    if (!force && now - this.lastReport < MEDIA_TIME_INTERVAL_MS) return;
    this.lastReport = now;
    const t = clock.currentTime;
    if (Math.abs((this.model.get("media_time") as number) - t) < 1e-6) return;
    this.recent = [...this.recent.slice(-7), t];
    reporter = this;
    try {
      this.model.set("media_time", t);
    } finally {
      reporter = null;
    }
    this.model.save_changes();
  }

  /** The `change:media_time` listener. */
  readonly onModelMediaTime = (): void => {
    const clock = this.clock();
    if (!clock || reporter === this) return;
    const t = this.model.get("media_time") as number;
    if (reporter !== null && !clock.paused) {
      // A playing sibling's clock, read at this instant: close the gap without seeking.
      const gap = t - clock.currentTime;
      if (Math.abs(gap) <= SEEK_GAP_S) {
        clock.bend(gap);
        return;
      }
    }
    // The kernel echoes what this view sent; a late echo must not pull the media back.
    if (reporter === null && this.recent.some((r) => Math.abs(r - t) < 1e-6)) return;
    if (Math.abs(clock.currentTime - t) < 1e-4) return;
    this.willSeek();
    clock.seek(t);
  };
}
