/**
 * Fakes for the multi-track tests: a player that records what it was told
 * (seeks, rates, play/pause) and lets a test drive its events, a factory that
 * keeps them by track name, track descriptions, and a recorder of a track's
 * events. Needs a DOM (happy-dom) for the media elements.
 */

import type { MediaInfo } from "../media";
import type { MediaTrack, PlayerFactory, TrackEvents } from "../mediatrack";
import type { Player, PlayerEvents } from "../player";

export class FakePlayer {
  readonly el: HTMLMediaElement;
  currentTime = 0;
  paused = true;
  seeking = false;
  frameDuration = 1 / 30;
  /** The playback rate last set with setRate(). */
  rate = 1;
  readonly seeks: number[] = [];
  readonly rates: number[] = [];
  plays = 0;
  pauses = 0;
  started = false;
  destroyed = false;

  constructor(
    readonly info: MediaInfo,
    /** The events the track gave its player: a test fires them. */
    readonly events: PlayerEvents,
  ) {
    this.el = document.createElement(info.kind);
  }

  seek(t: number): void {
    this.seeks.push(t);
    this.currentTime = Math.max(0, t);
  }

  play(): void {
    if (!this.paused) return;
    this.paused = false;
    this.plays++;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pauses++;
  }

  /** Like Player.setRate: changes below a microsecond per second are ignored. */
  setRate(r: number): void {
    if (!(r > 0) || Math.abs(this.rate - r) < 1e-6) return;
    this.rate = r;
    this.rates.push(r);
  }

  async start(): Promise<void> {
    this.started = true;
  }

  destroy(): void {
    this.destroyed = true;
    this.el.remove();
  }

  /** Forget what was asked so far (after the set-up of a test). */
  clear(): void {
    this.seeks.length = 0;
    this.rates.length = 0;
    this.plays = 0;
    this.pauses = 0;
  }
}

/** A player factory keeping each fake player under its track's name. */
export function fakePlayers() {
  const players = new Map<string, FakePlayer>();
  const make: PlayerFactory = (info, events) => {
    const p = new FakePlayer(info, events);
    players.set(info.track, p);
    return p as unknown as Player;
  };
  const get = (name: string): FakePlayer => {
    const p = players.get(name);
    if (!p) throw new Error(`no player for track ${name}`);
    return p;
  };
  return { make, players, get };
}

/** A track's description (`_media` entry). */
export function mediaInfo(track: string, kind: "video" | "audio" = "video"): MediaInfo {
  const ext = kind === "video" ? "mp4" : "wav";
  return { track, kind, source: "url", mime: `${kind}/${ext}`, name: `${track}.${ext}`, size: 0, url: `https://example.org/${track}.${ext}` };
}

/** TrackEvents that record every call as [event, track name or null, ...arguments]. */
export function recordingEvents() {
  const calls: unknown[][] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      const isTrack = typeof first === "object" && first !== null && "info" in first;
      calls.push(isTrack ? [name, (first as MediaTrack).name, ...rest] : [name, ...args]);
    };
  const events: TrackEvents = {
    loaded: rec("loaded"),
    time: rec("time"),
    seeked: rec("seeked"),
    userPlaying: rec("userPlaying"),
    userRate: rec("userRate"),
    error: rec("error"),
    note: rec("note"),
  };
  return { events, calls, of: (name: string) => calls.filter((c) => c[0] === name) };
}
