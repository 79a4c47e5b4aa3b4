/**
 * The `media_time` trait (the first track's media time) for one view: report
 * this view's first track to the model, and seek this view's data clock when
 * `media_time` is a request.
 *
 * Views of one widget share one model, whose change events fire
 * synchronously inside `set()`, so a change that arrives while a view is
 * reporting is that view's report, not a request from Python. While playing,
 * every view runs its own data clock from the shared `playing` trait and the
 * same anchors on one wall clock: a sibling's report is then no reason to
 * seek (seeking to it made two views pull each other back, and a widget shown
 * twice played at half speed); only a sibling far away (it was seeked) is
 * followed. While paused, a sibling's report is a seek (its media's own
 * controls) that the other views follow.
 */

import type { AnyModel } from "@anywidget/types";

/** A playing sibling further away than this (media seconds) was seeked: follow it. */
export const SEEK_GAP_S = 0.5;

/** What the sync needs of a view's first track and data clock. */
export interface MediaClock {
  /** The first track's media time (seconds). */
  readonly currentTime: number;
  /** True unless the view plays. */
  readonly paused: boolean;
  /** Move the view's data clock to where the first track shows media time `t`. */
  seek(t: number): void;
}

/** The view writing its media time into a model right now (change events fire inside that write). */
let reporter: MediaTimeSync | null = null;

export class MediaTimeSync {
  private recent: number[] = [];

  /** `clock`: this view's first track and data clock, or null while it has no media. */
  constructor(
    private readonly model: AnyModel,
    private readonly clock: () => MediaClock | null,
  ) {}

  /** Write this view's media time to the model (how often is the caller's: see reporter.ts). */
  report(): void {
    const clock = this.clock();
    if (!clock) return;
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
    // A playing sibling's clock, read at this instant, near this view's: both follow the same anchors.
    if (reporter !== null && !clock.paused && Math.abs(t - clock.currentTime) <= SEEK_GAP_S) return;
    // The kernel echoes what this view sent; a late echo must not pull the media back.
    if (reporter === null && this.recent.some((r) => Math.abs(r - t) < 1e-6)) return;
    if (Math.abs(clock.currentTime - t) < 1e-4) return;
    clock.seek(t);
  };
}
