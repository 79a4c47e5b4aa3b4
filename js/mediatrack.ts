/**
 * One view's media track: its player (where the bytes come from, seeking,
 * the frame clock), the traits it reports and follows (`media_duration`,
 * `playing`, `media_time`), and what a seek or playback means for the window
 * under the sync mode. The view decides how a window is shown; this class
 * only asks for one ({@link TrackHost.follow}).
 */

import type { AnyModel } from "@anywidget/types";
import type { Host } from "./hosts/host";
import type { MediaInfo } from "./media";
import { MediaTimeSync } from "./mediatime";
import { Player, type PlayerEvents } from "./player";
import { moveBy, type Sel } from "./range";
import { near } from "./selectionsync";
import type { ModelState } from "./state";
import { toData, toMedia, type TimeMap } from "./timemap";

export interface TrackHost {
  /** The window shown now (relative seconds). */
  window(): Sel;
  span(): number;
  timemap(): TimeMap;
  /** "ts-to-media", "both" or "off". */
  syncMode(): string;
  /** True while the user drags the range (the media must not move it then). */
  dragging(): boolean;
  /** The media asks the view to show window `sel` (sync "both": after a seek, or paging during playback). */
  follow(sel: Sel): void;
  /** The media time moved, or the media loaded: place the playheads again. */
  moved(): void;
  error(text: string): void;
  clearError(): void;
  /** A passing note for the status line ("" clears it). */
  note(text: string): void;
}

/** Makes the player; a test passes a fake. */
export type PlayerFactory = (info: MediaInfo, events: PlayerEvents, signal: AbortSignal) => Player;

export class MediaTrack {
  /** The element the media (and its notes) go in; hidden without media. */
  readonly box: HTMLDivElement;
  player: Player | null = null;
  /** The next seek's end moves the window (sync "both" and a seek this view asked for). */
  private followNextSeek = false;
  readonly time: MediaTimeSync;
  private readonly makePlayer: PlayerFactory;

  constructor(
    private readonly model: AnyModel,
    private readonly th: TrackHost,
    private readonly signal: AbortSignal,
    deps: { st: ModelState; host: Host } | { make: PlayerFactory },
  ) {
    this.box = document.createElement("div");
    this.box.className = "tsv-media";
    this.makePlayer = "make" in deps ? deps.make : (info, events, sig) => new Player(info, deps.host, deps.st, events, sig);
    this.time = new MediaTimeSync(model, () => this.player, () => {
      this.followNextSeek = th.syncMode() === "both";
    });
    model.on("change:playing", this.onModelPlaying);
    model.on("change:media_time", this.time.onModelMediaTime);
  }

  /** Show `info`'s media (or none), replacing what was shown. */
  load(info: MediaInfo | null): void {
    this.player?.destroy();
    this.player = null;
    this.box.hidden = !info;
    this.box.replaceChildren();
    if (!info) return;
    const th = this.th;
    const player = this.makePlayer(
      info,
      {
        loaded: (duration) => {
          th.clearError();
          this.model.set("media_duration", duration);
          this.model.save_changes();
          if (th.syncMode() !== "off") player.seek(toMedia(th.window()[0], th.timemap()));
          th.moved();
        },
        time: (force) => this.onTime(force),
        seeked: (own) => {
          const follow = this.followNextSeek || (!own && th.syncMode() === "both");
          this.followNextSeek = false;
          if (follow) this.followMedia(true);
        },
        playing: (p) => {
          if (this.model.get("playing") !== p) {
            this.model.set("playing", p);
            this.model.save_changes();
          }
        },
        error: (text) => th.error(text),
        note: (text) => th.note(text),
        warn: (text) => {
          const note = document.createElement("div");
          note.dataset.part = "media-note";
          note.className = "tsv-media-note";
          note.setAttribute("role", "note");
          note.textContent = text;
          this.box.append(note);
        },
      },
      this.signal,
    );
    this.player = player;
    this.box.replaceChildren(player.el);
    void player.start();
  }

  /** Data time (relative seconds) the media shows, or null when not known yet. */
  playheadTime(): number | null {
    const p = this.player;
    if (!p || this.model.get("media_duration") == null || !Number.isFinite(p.currentTime)) return null;
    return toData(p.currentTime, this.th.timemap());
  }

  /** Seek to the media time of data time `rel`, as a result of a window change (no follow). */
  showWindow(rel: number): void {
    if (this.player && this.model.get("media_duration") != null) this.player.seek(toMedia(rel, this.th.timemap()));
  }

  /** Seek to data time `rel` because the user asked (a region clicked); with sync "both" the window follows. */
  seekData(rel: number): void {
    this.followNextSeek = this.th.syncMode() === "both";
    this.player?.seek(toMedia(rel, this.th.timemap()));
  }

  /** Play data times [a, b] and pause. */
  playRange(a: number, b: number): void {
    const tm = this.th.timemap();
    this.player?.playBetween(toMedia(a, tm), toMedia(b, tm));
  }

  toggle(): void {
    this.player?.toggle();
  }

  stepFrames(dir: number): void {
    this.followNextSeek = this.th.syncMode() === "both";
    this.player?.stepFrames(dir);
  }

  get playing(): boolean {
    return !!this.player && !this.player.paused;
  }

  private readonly onModelPlaying = (): void => {
    const player = this.player;
    if (!player) return;
    const want = this.model.get("playing") as boolean;
    if (want && player.paused) player.play();
    else if (!want && !player.paused) player.pause();
  };

  private onTime(force: boolean): void {
    const player = this.player;
    if (!player) return;
    this.th.moved();
    if (this.th.syncMode() === "both" && !player.paused) this.followMedia(false);
    this.time.report(force);
  }

  /**
   * Media -> series: after a seek the window starts at the playhead; during
   * playback the window pages forward when the playhead leaves it.
   */
  private followMedia(seeked: boolean): void {
    const player = this.player;
    if (!player || this.th.dragging()) return;
    const rel = toData(player.currentTime, this.th.timemap());
    const [a, b] = this.th.window();
    if (!seeked && rel >= a && rel <= b) return;
    const next = moveBy([rel, rel + (b - a)], 0, this.th.span());
    if (near(next[0], a) && near(next[1], b)) return;
    this.th.follow(next);
  }

  destroy(): void {
    this.model.off("change:playing", this.onModelPlaying);
    this.model.off("change:media_time", this.time.onModelMediaTime);
    this.player?.destroy();
    this.player = null;
  }
}
