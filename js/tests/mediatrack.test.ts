// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { MediaInfo } from "../media";
import { MediaTrack, type TrackHost } from "../mediatrack";
import type { Player, PlayerEvents } from "../player";
import type { Sel } from "../range";
import { FakeModel } from "./fake-model";

class FakePlayer {
  readonly el = document.createElement("video");
  currentTime = 0;
  paused = true;
  seeks: number[] = [];
  started = false;
  destroyed = false;
  constructor(readonly events: PlayerEvents) {}
  seek(t: number) {
    this.seeks.push(t);
    this.currentTime = t;
  }
  play() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
  toggle() {
    this.paused = !this.paused;
  }
  playBetween(a: number, b: number) {
    this.seeks.push(a, b);
  }
  stepFrames(dir: number) {
    this.seek(this.currentTime + dir / 25);
  }
  bend() {}
  async start() {
    this.started = true;
  }
  destroy() {
    this.destroyed = true;
  }
}

const info: MediaInfo = { kind: "video", source: "url", mime: "video/mp4", name: "v.mp4", size: 0, url: "https://x/v.mp4" };

function setup(sync = "ts-to-media") {
  // Data span 0..10 s, media 0..20 s (proportional mapping: media = 2 x data).
  const model = new FakeModel({ media_duration: null, playing: false, media_time: 0, sync });
  let sel: Sel = [2, 4];
  let dragging = false;
  const follows: Sel[] = [];
  let moved = 0;
  const th: TrackHost = {
    window: () => sel,
    span: () => 10,
    timemap: () => ({ span: 10, duration: (model.get("media_duration") as number | null) ?? null, offset: null, rate: 1 }),
    syncMode: () => model.get("sync") as string,
    dragging: () => dragging,
    follow: (s) => (follows.push(s), (sel = s)),
    moved: () => moved++,
    error: () => {},
    clearError: () => {},
    note: () => {},
  };
  let player: FakePlayer | null = null;
  const ac = new AbortController();
  const track = new MediaTrack(model.asModel(), th, ac.signal, {
    make: (_info, events) => (player = new FakePlayer(events)) as unknown as Player,
  });
  track.load(info);
  const p = () => player!;
  return { model, track, p, follows, moved: () => moved, drag: (d: boolean) => (dragging = d), setSel: (s: Sel) => (sel = s) };
}

describe("MediaTrack", () => {
  it("loads the player into its box, reports the duration and seeks to the window's start", () => {
    const { model, track, p, moved } = setup();
    expect(track.box.firstChild).toBe(p().el);
    expect(p().started).toBe(true);
    p().events.loaded(20);
    expect(model.get("media_duration")).toBe(20);
    expect(model.saves).toBe(1);
    expect(p().seeks).toEqual([4]); // data 2 s -> media 4 s
    expect(moved()).toBe(1);
    expect(track.playheadTime()).toBe(2);
  });

  it("plays from the playing trait and reports its own playing", () => {
    const { model, p } = setup();
    model.set("playing", true);
    expect(p().paused).toBe(false);
    model.set("playing", false);
    expect(p().paused).toBe(true);
    p().events.playing(true);
    expect(model.get("playing")).toBe(true);
  });

  it("sync both: a seek with the media's controls, and paging while playing, move the window", () => {
    const { model, p, follows, drag } = setup("both");
    p().events.loaded(20);
    p().currentTime = 12; // data 6 s
    p().events.seeked(false);
    expect(follows.at(-1)).toEqual([6, 8]);
    p().paused = false;
    p().currentTime = 17; // data 8.5 s: past the window's end
    p().events.time(false);
    expect(follows.at(-1)).toEqual([8, 10]); // paged, clamped to the span
    drag(true);
    p().currentTime = 2;
    p().events.seeked(false);
    expect(follows).toHaveLength(2);
    model.set("sync", "ts-to-media");
  });

  it("a window change seeks without following; a seek the user asked for follows with sync both", () => {
    const { model, track, p, follows } = setup("both");
    p().events.loaded(20);
    track.showWindow(5);
    p().events.seeked(true);
    expect(follows).toEqual([]);
    track.seekData(7);
    expect(p().seeks.at(-1)).toBe(14);
    p().events.seeked(true);
    expect(follows).toEqual([[7, 9]]);
    model.set("sync", "ts-to-media");
    track.seekData(1);
    p().events.seeked(true);
    expect(follows).toHaveLength(1);
  });

  it("destroy removes exactly its listeners and the player", () => {
    const { model, track, p } = setup();
    const before = [model.listeners("change:playing"), model.listeners("change:media_time")];
    expect(before).toEqual([1, 1]);
    const player = p();
    track.destroy();
    expect([model.listeners("change:playing"), model.listeners("change:media_time")]).toEqual([0, 0]);
    expect(player.destroyed).toBe(true);
  });

  it("no media hides the box", () => {
    const { track } = setup();
    track.load(null);
    expect(track.box.hidden).toBe(true);
    expect(track.box.childElementCount).toBe(0);
  });
});
