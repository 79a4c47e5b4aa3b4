/**
 * Keeps every media track of one view in step with the data clock.
 *
 * The data time is the master clock ({@link DataClock}). A window change
 * (sync on) or a seek anchors it and seeks every track to its own mapping of
 * it, one seek in flight per track, latest wins. While playing, a loop each
 * animation frame maps the clock onto each track and corrects the track's
 * drift ({@link DriftCorrector}): the playback rate is nudged for small
 * errors and the track seeks for large ones, never pausing the others. A
 * track with no media at the data time (before its start, after its end)
 * shows its "no media here" state and joins when the time comes. The user's
 * own controls on a track (seek, play, pause, rate) move the clock: the track
 * the user touches leads.
 */

import type { AnyModel } from "@anywidget/types";
import { DataClock, type ClockAnchor } from "./clock";
import { Follower } from "./follower";
import { FrameLoop } from "./frameloop";
import type { MediaInfo } from "./media";
import { MediaTrack, type PlayerFactory, type TrackEvents } from "./mediatrack";
import { moveBy, type Sel } from "./range";
import { Reporter } from "./reporter";
import { near } from "./selectionsync";
import { absentText, coverage, type Coverage } from "./presence";
import { setTrackDuration, trackDuration, trackMap } from "./trackmodel";
import { slopeAt, toData, toMedia, type TimeMap } from "./timemap";

export interface ConductorHost {
  /** The window shown now (relative seconds). */
  window(): Sel;
  span(): number;
  /** "ts-to-media", "both" or "off". */
  syncMode(): string;
  /** True while the user drags the range (the media must not move it then). */
  dragging(): boolean;
  /** Show window `sel` because the media moved (sync "both"). */
  follow(sel: Sel): void;
  /** The data clock moved, or a track loaded: place the playheads again. */
  moved(): void;
  /** The data time `rel` as text in the time column's terms. */
  format(rel: number): string;
  error(text: string): void;
  /** Remove the error shown, while it still shows `text`. */
  clearError(text: string): void;
  note(text: string): void;
}

export class Conductor {
  readonly clock: DataClock;
  tracks: MediaTrack[] = [];
  private readonly follower = new Follower();
  private readonly loop = new FrameLoop(() => {
    if (!this.wantPlay || this.signal.aborted) return false;
    this.tick();
    return this.wantPlay;
  });
  /** Data time at which playback stops (playing one region), or null. */
  private stopAt: number | null = null;
  /** The playback rate the user picked with a track's own controls. */
  private userRate = 1;
  /** Playing was asked for (by the user, a key, Python or another view). */
  private wantPlay = false;
  private readonly reporter: Reporter;
  /** The error each track showed, cleared when it loads. */
  private readonly errors = new Map<MediaTrack, string>();

  constructor(
    private readonly model: AnyModel,
    private readonly host: ConductorHost,
    published: (a: ClockAnchor) => void,
    private readonly signal: AbortSignal,
    private readonly deps: ConstructorParameters<typeof MediaTrack>[5],
  ) {
    this.clock = new DataClock(published);
    this.reporter = new Reporter(
      model,
      () => this.tracks,
      () => {
        const first = this.tracks[0];
        if (!first) return null;
        return {
          currentTime: first.player.currentTime,
          paused: !this.wantPlay,
          seek: (t: number) => this.seekData(toData(t, this.map(first)), true),
        };
      },
      (p) => (p ? this.play() : this.pause()),
    );
  }

  /** Replace the tracks with `infos`' (a factory makes the players in tests). */
  load(infos: MediaInfo[], make?: PlayerFactory): MediaTrack[] {
    for (const t of this.tracks) t.destroy();
    const deps = make ? { make } : this.deps;
    this.tracks = infos.map((info, i) => new MediaTrack(info, i, this.model, this.events, this.signal, deps));
    this.align();
    return this.tracks;
  }

  map(track: MediaTrack): TimeMap {
    return trackMap(this.model, track.name, this.host.span());
  }

  /** Media seconds per data second of `track`'s mapping at data time `rel` (now by default). */
  private scale(track: MediaTrack, rel = this.clock.time()): number {
    return slopeAt(rel, this.map(track));
  }

  /** Data seconds per second: the first track plays at the rate the user picked. */
  private speed(): number {
    const ref = this.tracks.find((t) => t.visible);
    return this.userRate / (ref ? this.scale(ref) : 1);
  }

  /** Where data time `rel` falls in `track`'s media. */
  coverage(track: MediaTrack, rel: number): Coverage {
    return coverage(this.map(track), this.duration(track), rel);
  }

  private duration(track: MediaTrack): number | null {
    const d = trackDuration(this.model, track.name) ?? track.player.el.duration;
    return Number.isFinite(d) ? d : null;
  }

  /** Data time of the playhead, or null without tracks. */
  playheadTime(): number | null {
    return this.tracks.length ? this.clock.time() : null;
  }

  get playing(): boolean {
    return this.wantPlay;
  }

  // -- commands -------------------------------------------------------------------------

  /** Move the data clock to `rel` and seek every track there; `follow`: the window follows (sync "both"). */
  seekData(rel: number, follow = false): void {
    const d = Math.max(0, Math.min(this.host.span(), rel));
    this.clock.set({ data: d });
    this.follower.reset(this.tracks);
    this.align(true);
    if (follow && this.host.syncMode() === "both") this.followClock(true);
    this.host.moved();
  }

  play(): void {
    if (!this.tracks.length || this.wantPlay) return;
    if (this.clock.time() >= this.host.span()) this.seekData(this.host.window()[0]);
    this.wantPlay = true;
    this.clock.set({ running: true, speed: this.speed() });
    this.reporter.setPlaying(true);
    this.loop.start();
  }

  pause(): void {
    this.stopAt = null;
    if (!this.wantPlay) return;
    this.wantPlay = false;
    this.clock.set({ running: false });
    this.loop.stop();
    for (const t of this.tracks) t.player.pause();
    this.reporter.setPlaying(false);
    this.align();
    this.reporter.report(true);
  }

  toggle(): void {
    if (this.wantPlay) this.pause();
    else this.play();
  }

  /** Play data times [a, b] and stop at b. */
  playRange(a: number, b: number): void {
    this.pause();
    this.seekData(a, true);
    this.stopAt = b;
    this.play();
  }

  /** Pause and step `dir` frames of the first video (1/30 s before its rate is known). */
  stepFrames(dir: number): void {
    this.pause();
    const video = this.tracks.find((t) => t.kind === "video") ?? this.tracks[0];
    if (!video) return;
    this.seekData(this.clock.time() + (dir * video.player.frameDuration) / this.scale(video), true);
  }

  // -- following ------------------------------------------------------------------------

  /** Seek every track to its mapping of the clock (paused), or show its presence; `force` seeks even when near. */
  private align(force = false): void {
    const d = this.clock.time();
    for (const t of this.tracks) this.follow(t, d, force);
  }

  private follow(track: MediaTrack, d: number, force = false): void {
    if (!track.visible) return;
    const where = this.coverage(track, d);
    const m = this.map(track);
    const present = where === "media" || where === "unknown";
    track.setPresent(present, present ? "" : absentText(track.name, m, this.duration(track), d, this.host.format));
    if (where !== "media") return; // not loaded yet: aligned on load
    this.follower.follow(track, toMedia(d, m), this.clock.running, this.speed() * slopeAt(d, m), force);
  }

  /**
   * One frame of playback: stop at the end (of the data, of the region played,
   * or of every track's media), follow, page the window. A track that stalls
   * falls behind and seeks back in step when it can; the others play on.
   */
  tick(): void {
    const d = this.clock.time();
    const end = Math.min(this.host.span(), this.stopAt ?? Infinity);
    if (d >= end || !this.tracks.some((t) => t.visible && this.coverage(t, d) !== "after")) {
      this.pause();
      this.seekData(Math.min(d, end));
      return;
    }
    for (const t of this.tracks) this.follow(t, d);
    if (this.host.syncMode() === "both") this.followClock(false);
    this.host.moved();
    this.reporter.report(false);
  }

  /**
   * Media -> series (sync "both"): after a seek the window starts at the
   * playhead; during playback it pages forward when the playhead leaves it.
   */
  private followClock(seeked: boolean): void {
    if (this.host.dragging()) return;
    const rel = this.clock.time();
    const [a, b] = this.host.window();
    if (!seeked && rel >= a && rel <= b) return;
    const next = moveBy([rel, rel + (b - a)], 0, this.host.span());
    if (near(next[0], a) && near(next[1], b)) return;
    this.host.follow(next);
  }

  // -- the tracks' events -----------------------------------------------------------------

  private readonly events: TrackEvents = {
    loaded: (track, duration) => {
      const error = this.errors.get(track);
      if (error !== undefined) this.host.clearError(error);
      this.errors.delete(track);
      setTrackDuration(this.model, track.name, duration);
      this.model.save_changes();
      this.follow(track, this.clock.time(), true);
      this.host.moved();
    },
    time: (track, force) => {
      if (!this.wantPlay) this.host.moved();
      if (track.index === 0 || force) this.reporter.report(force);
    },
    seeked: (track, own, seconds) => {
      if (own) {
        this.follower.seeked(track, seconds);
        return;
      }
      // The user seeked this track with its own controls: it leads.
      this.seekFromTrack(track);
    },
    userPlaying: (track, playing) => {
      if (!playing) return this.pause();
      if (!this.wantPlay) this.clock.set({ data: toData(track.player.currentTime, this.map(track)) });
      this.play();
    },
    userRate: (track, rate) => {
      // The track's base rate is userRate x its scale / the first visible track's.
      const ref = this.tracks.find((t) => t.visible) ?? track;
      this.userRate = (rate * this.scale(ref)) / this.scale(track);
      if (this.wantPlay) this.clock.set({ speed: this.speed() });
    },
    error: (track, text) => {
      this.errors.set(track, text);
      this.host.error(text);
    },
    note: (text) => this.host.note(text),
  };

  private seekFromTrack(track: MediaTrack): void {
    const d = toData(track.player.currentTime, this.map(track));
    this.clock.set({ data: Math.max(0, Math.min(this.host.span(), d)) });
    for (const t of this.tracks) if (t !== track) this.follow(t, this.clock.time(), true);
    if (this.host.syncMode() === "both") this.followClock(true);
    this.host.moved();
    this.reporter.report(true);
  }

  // -- the model ------------------------------------------------------------------------

  /** The model's track settings changed: mute, hide, and mappings. */
  settingsChanged(): void {
    for (const t of this.tracks) t.applySettings();
    const speed = this.speed();
    if (this.wantPlay && speed !== this.clock.speed) this.clock.set({ speed });
    this.align();
  }

  destroy(): void {
    this.loop.stop();
    this.reporter.dispose();
    for (const t of this.tracks) t.destroy();
    this.tracks = [];
  }
}
