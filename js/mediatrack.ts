/**
 * One media track in one view: its tile (name, mute and hide buttons, the
 * "no media here" state), its player (where the bytes come from, seeking,
 * the frame clock), and its settings from the model. What the track's events
 * mean for the data clock and the window is the conductor's business
 * ({@link TrackEvents}); this class does what it is told.
 */

import type { AnyModel } from "@anywidget/types";
import type { Host } from "./hosts/host";
import type { MediaInfo } from "./media";
import { Player, type PlayerEvents } from "./player";
import type { ModelState } from "./state";
import { setTrackSetting, trackSetting } from "./trackmodel";
import { el } from "./dom";

/** What a track tells its conductor. */
export interface TrackEvents {
  loaded(track: MediaTrack, duration: number): void;
  /** The media time moved (`force`: after a seek). */
  time(track: MediaTrack, force: boolean): void;
  /** A seek ended: `own` false when the user seeked with the media's own controls. */
  seeked(track: MediaTrack, own: boolean, seconds: number): void;
  /** The user played or paused with the media's own controls. */
  userPlaying(track: MediaTrack, playing: boolean): void;
  userRate(track: MediaTrack, rate: number): void;
  /** The track cannot play (shown until the track loads). */
  error(track: MediaTrack, text: string): void;
  note(text: string): void;
}

/** Makes the player; a test passes a fake. */
export type PlayerFactory = (info: MediaInfo, events: PlayerEvents, signal: AbortSignal) => Player;

/** Allowed error of an audio track against its mapping (seconds). */
export const AUDIO_TOLERANCE_S = 0.02;

export class MediaTrack {
  /** The tile: a video's box in the grid, or an audio track's header in its lane. */
  readonly tile: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly noMedia: HTMLDivElement;
  private readonly muteButton: HTMLButtonElement;
  private readonly hideButton: HTMLButtonElement;
  readonly player: Player;
  /** Whether the data time has media of this track (set by the conductor). */
  present = true;

  constructor(
    readonly info: MediaInfo,
    readonly index: number,
    private readonly model: AnyModel,
    private readonly events: TrackEvents,
    signal: AbortSignal,
    deps: { st: ModelState; host: Host } | { make: PlayerFactory },
  ) {
    const name = info.track;
    this.tile = el("div", `tsv-track tsv-track-${info.kind}`, "track");
    this.tile.dataset.track = name;
    this.tile.dataset.state = "media";
    const head = el("div", "tsv-track-head", "track-head", undefined, this.tile);
    const label = el("span", "tsv-track-name", "track-name", name, head);
    label.title = info.name;
    this.muteButton = el("button", "tsv-track-button", "track-mute", undefined, head);
    this.hideButton = el("button", "tsv-track-button", "track-hide", undefined, head);
    this.muteButton.type = this.hideButton.type = "button";
    this.body = el("div", "tsv-track-body", "track-body", undefined, this.tile);
    this.noMedia = el("div", "tsv-no-media", "no-media", undefined, this.body);
    this.noMedia.setAttribute("role", "status");
    this.noMedia.hidden = true;
    const make: PlayerFactory = "make" in deps ? deps.make : (i, ev, sig) => new Player(i, deps.host, deps.st, ev, sig);
    this.player = make(info, this.playerEvents(), signal);
    this.player.el.dataset.track = name;
    this.body.prepend(this.player.el);
    this.muteButton.addEventListener("click", () => setTrackSetting(model, name, "muted", !this.setting.muted), { signal });
    this.hideButton.addEventListener("click", () => setTrackSetting(model, name, "visible", !this.setting.visible), { signal });
    // The media's own mute control is the same setting.
    this.player.el.addEventListener("volumechange", () => setTrackSetting(model, name, "muted", this.player.el.muted), { signal });
    this.applySettings();
    void this.player.start();
  }

  get name(): string {
    return this.info.track;
  }

  get kind(): "video" | "audio" {
    return this.info.kind;
  }

  private get setting() {
    return trackSetting(this.model, this.name);
  }

  /** Whether the track is shown and played (its `visible` setting). */
  get visible(): boolean {
    return this.setting.visible;
  }

  /** Allowed error against the mapping (seconds): one frame for video, 20 ms for audio. */
  get tolerance(): number {
    return this.kind === "video" ? this.player.frameDuration : AUDIO_TOLERANCE_S;
  }

  /** Show `muted` and `visible` from the model (after `_tracks` changed). */
  applySettings(): void {
    const s = this.setting;
    const media = this.player.el;
    if (media.muted !== s.muted) media.muted = s.muted;
    this.muteButton.textContent = s.muted ? "unmute" : "mute";
    this.muteButton.setAttribute("aria-pressed", String(s.muted));
    this.hideButton.textContent = s.visible ? "hide" : "show";
    this.tile.classList.toggle("tsv-hidden-track", !s.visible);
    this.body.hidden = !s.visible;
    if (!s.visible) this.player.pause();
  }

  /**
   * Say whether the data time has media of this track; without, the media is
   * hidden behind `text` (no frozen frame) and paused.
   */
  setPresent(present: boolean, text: string): void {
    if (!present) this.player.pause();
    if (present === this.present && (present || this.noMedia.textContent === text)) return;
    this.present = present;
    this.tile.dataset.state = present ? "media" : "no-media";
    this.noMedia.hidden = present;
    this.noMedia.textContent = present ? "" : text;
    this.player.el.style.visibility = present ? "" : "hidden";
  }

  private playerEvents(): PlayerEvents {
    const ev = this.events;
    return {
      loaded: (d) => ev.loaded(this, d),
      time: (force) => ev.time(this, force),
      seeked: (own, seconds) => ev.seeked(this, own, seconds),
      playing: (playing, own) => {
        if (!own) ev.userPlaying(this, playing);
      },
      rate: (r) => ev.userRate(this, r),
      error: (text) => ev.error(this, text),
      note: (text) => ev.note(text),
      warn: (text) => {
        const note = el("div", "tsv-media-note", "media-note", undefined, this.tile);
        note.setAttribute("role", "note");
        note.textContent = text;
      },
    };
  }

  destroy(): void {
    this.player.destroy();
    this.tile.remove();
  }
}
