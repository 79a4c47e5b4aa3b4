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
 * While paused, a sibling's report is a seek (its media's own controls) that
 * the other views follow.
 */

import type { AnyModel } from "@anywidget/types";

/** Report media_time to the kernel at most this often while playing (ms). */
export const MEDIA_TIME_INTERVAL_MS = 250;

/** What the sync needs of a view's media element. */
export interface MediaClock {
  readonly currentTime: number;
  readonly paused: boolean;
  seek(t: number): void;
}

/** True while a view writes its media time into a model (change events fire inside that write). */
let reporting = false;

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
    reporting = true;
    try {
      this.model.set("media_time", t);
    } finally {
      reporting = false;
    }
    this.model.save_changes();
  }

  /** The `change:media_time` listener. */
  readonly onModelMediaTime = (): void => {
    const clock = this.clock();
    if (!clock) return;
    // Each playing view keeps its own clock: a sibling's report is not a seek.
    if (reporting && !clock.paused) return;
    const t = this.model.get("media_time") as number;
    // The kernel echoes what this view sent; a late echo must not pull the media back.
    if (!reporting && this.recent.some((r) => Math.abs(r - t) < 1e-6)) return;
    if (Math.abs(clock.currentTime - t) < 1e-4) return;
    this.willSeek();
    clock.seek(t);
  };
}
