// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClockAnchor } from "../clock";
import { Conductor, type ConductorHost } from "../conductor";
import { DriftCorrector } from "../drift";
import { VIDEO_AHEAD } from "../follower";
import type { Sel } from "../range";
import { trackInfos } from "../trackmodel";
import { FakeModel } from "./fake-model";
import { fakePlayers, mediaInfo, type FakePlayer } from "./fake-tracks";

const SPAN = 100;
/** How far a seek leads before any was timed (the corrector's initial seek latency). */
const LEAD = new DriftCorrector().seekLatency;
/** How far ahead of its mapping a playing video aims (a share of its 1/30 s frame). */
const AHEAD = VIDEO_AHEAD / 30;
/** How far a start leads at base rate 1 before any was timed (seek latency and start lag). */
const START = new DriftCorrector().startLead(1);

/** Each track's media time at data time `d` (front: offset 0 rate 1; side: 2.35 + 1.001 d; mic: starts at data 3 s). */
const mapping: Record<string, (d: number) => number> = {
  front: (d) => d,
  side: (d) => 2.35 + 1.001 * d,
  mic: (d) => d - 3,
};

// -- time: performance.now() and animation frames, moved by the test --------------------------

let now = 0;
const frames = new Map<number, FrameRequestCallback>();
let nextFrame = 1;

beforeEach(() => {
  now = 10_000;
  frames.clear();
  vi.spyOn(performance, "now").mockImplementation(() => now);
  vi.stubGlobal("requestAnimationFrame", (fn: FrameRequestCallback) => (frames.set(nextFrame, fn), nextFrame++));
  vi.stubGlobal("cancelAnimationFrame", (id: number) => void frames.delete(id));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** Let `ms` pass, then run the animation frames that were asked for. */
function frame(ms = 0): void {
  now += ms;
  const due = [...frames.values()];
  frames.clear();
  for (const fn of due) fn(now);
}

function setup(traits: Record<string, unknown> = {}) {
  const model = new FakeModel({
    _media: [mediaInfo("front"), mediaInfo("side"), mediaInfo("mic", "audio")],
    _tracks: [
      { name: "front", muted: false, visible: true },
      { name: "side", muted: false, visible: true, offset: 2.35, rate: 1.001 },
      { name: "mic", muted: false, visible: true, offset: -3, rate: 1 },
    ],
    _track_times: {},
    offset: 0,
    rate: 1,
    media_duration: null,
    media_time: 0,
    playing: false,
    sync: "ts-to-media",
    ...traits,
  });
  let sel: Sel = [0, 10];
  const follows: Sel[] = [];
  const errors: string[] = [];
  const anchors: ClockAnchor[] = [];
  let clears = 0;
  let moved = 0;
  const host: ConductorHost = {
    window: () => sel,
    span: () => SPAN,
    syncMode: () => model.get("sync") as string,
    dragging: () => false,
    follow: (s) => {
      follows.push(s);
      sel = s;
    },
    moved: () => moved++,
    format: (rel) => `${rel.toFixed(2)} s`,
    error: (text) => errors.push(text),
    clearError: () => clears++,
    note: () => {},
  };
  const ac = new AbortController();
  const fp = fakePlayers();
  const conductor = new Conductor(model.asModel(), host, (a) => anchors.push(a), ac.signal, { make: fp.make });
  const tracks = conductor.load(trackInfos(model.asModel()), fp.make);
  const front = fp.get("front");
  const side = fp.get("side");
  const mic = fp.get("mic");
  const all = [front, side, mic];
  const tile = (name: string) => tracks.find((t) => t.name === name)!.tile;
  /** Put every track (that has media at `d`) exactly on its mapping of data time `d`. */
  const inStep = (d: number) => {
    for (const [name, p] of [["front", front], ["side", side], ["mic", mic]] as [string, FakePlayer][]) {
      // A playing video aims a little ahead (VIDEO_AHEAD of a frame): in step is there.
      const ahead = conductor.playing && name !== "mic" ? p.frameDuration * VIDEO_AHEAD : 0;
      if (mapping[name](d) >= 0) p.currentTime = mapping[name](d) + ahead;
    }
  };
  const clearAll = () => all.forEach((p) => p.clear());
  return {
    model,
    conductor,
    tracks,
    front,
    side,
    mic,
    all,
    tile,
    inStep,
    clearAll,
    follows,
    errors,
    anchors,
    clears: () => clears,
    moved: () => moved,
    setSel: (s: Sel) => (sel = s),
  };
}

/** Let the tracks' starts settle: frames at data time `d` with every track in step (no correction counts). */
function settle(inStep: (d: number) => void, d: number): void {
  for (let i = 0; i < 12; i++) {
    inStep(d);
    frame();
  }
}

const overlay = (tile: HTMLElement) => tile.querySelector<HTMLElement>('[data-part="no-media"]')!;

describe("Conductor: seeking", () => {
  it("on load, seeks each track to its own mapping of data 0; a track not started yet shows no media", () => {
    const { front, side, mic, tile } = setup();
    expect(front.seeks).toEqual([]); // already at media 0
    expect(side.seeks).toEqual([2.35]);
    expect(mic.seeks).toEqual([]);
    expect(tile("mic").dataset.state).toBe("no-media");
    expect(overlay(tile("mic")).hidden).toBe(false);
    expect(overlay(tile("mic")).textContent).toBe("mic: no media here (starts at 3.00 s)");
    expect(mic.el.style.visibility).toBe("hidden");
    expect(tile("front").dataset.state).toBe("media");
    expect(overlay(tile("front")).hidden).toBe(true);
  });

  it("seekData seeks every track to its own mapping, and the no-media track only once it has media", () => {
    const { conductor, front, side, mic, tile, clearAll, anchors, moved } = setup();
    clearAll();
    const movedBefore = moved();
    conductor.seekData(5);
    expect(front.seeks).toEqual([5]);
    expect(side.seeks).toHaveLength(1);
    expect(side.seeks[0]).toBeCloseTo(mapping.side(5), 12);
    expect(mic.seeks).toEqual([2]);
    expect(tile("mic").dataset.state).toBe("media");
    expect(overlay(tile("mic")).hidden).toBe(true);
    expect(mic.el.style.visibility).toBe("");
    expect(anchors.at(-1)).toMatchObject({ data: 5, running: false });
    expect(moved()).toBeGreaterThan(movedBefore);

    clearAll();
    conductor.seekData(1);
    expect(front.seeks).toEqual([1]);
    expect(side.seeks[0]).toBeCloseTo(mapping.side(1), 12);
    expect(mic.seeks).toEqual([]);
    expect(mic.plays).toBe(0);
    expect(tile("mic").dataset.state).toBe("no-media");
    expect(overlay(tile("mic")).hidden).toBe(false);
  });

  it("clamps a seek to the data's span", () => {
    const { conductor, front } = setup();
    conductor.seekData(-5);
    expect(conductor.clock.time()).toBe(0);
    conductor.seekData(SPAN + 50);
    expect(conductor.clock.time()).toBe(SPAN);
    expect(front.seeks.at(-1)).toBe(SPAN);
  });

  it("a media_time set from Python seeks the data clock through the first track's mapping", () => {
    const { model, conductor, front, side } = setup({ offset: 1, rate: 2 });
    model.set("media_time", 21); // data (21 - 1) / 2 = 10
    expect(conductor.clock.time()).toBeCloseTo(10, 12);
    expect(front.seeks.at(-1)).toBeCloseTo(21, 12);
    expect(side.seeks.at(-1)).toBeCloseTo(mapping.side(10), 12);
  });
});

describe("Conductor: playing", () => {
  it("play() sets playing, then starts every present track at speed x its scale", () => {
    const { model, conductor, front, side, mic, clearAll, anchors } = setup();
    conductor.seekData(5);
    clearAll();
    conductor.play();
    expect(conductor.playing).toBe(true);
    expect(model.get("playing")).toBe(true);
    expect(model.saves).toBeGreaterThan(0);
    expect(anchors.at(-1)).toMatchObject({ data: 5, running: true, speed: 1 });
    frame();
    for (const p of [front, side, mic]) {
      expect(p.paused).toBe(false);
      expect(p.plays).toBe(1);
    }
    // Videos in step start where they are; sound lands ahead by what its start takes.
    expect(front.seeks).toEqual([]);
    expect(side.seeks).toEqual([]);
    expect(mic.seeks).toHaveLength(1);
    expect(mic.seeks[0]).toBeCloseTo(mapping.mic(5) + START, 9);
    expect(front.rate).toBe(1);
    expect(side.rate).toBeCloseTo(1.001, 12);
    expect(mic.rate).toBe(1);
    expect(frames.size).toBe(1); // the loop goes on
  });

  it("the data speed makes the first track run at the user's rate; the others at their own scale", () => {
    // The first track runs 2 media seconds per data second: data runs at 0.5 s/s.
    const { conductor, front, side, mic } = setup({ rate: 2 });
    conductor.seekData(5);
    conductor.play();
    expect(conductor.clock.speed).toBeCloseTo(0.5, 12);
    frame();
    expect(front.rate).toBeCloseTo(1, 12);
    expect(side.rate).toBeCloseTo(0.5 * 1.001, 12);
    expect(mic.rate).toBeCloseTo(0.5, 12);
  });

  it("a tick runs a track 0.1 s behind faster, and seeks a track 1 s behind ahead of its target", () => {
    const { conductor, front, side, inStep, clearAll } = setup();
    conductor.seekData(5);
    conductor.play();
    frame();
    settle(inStep, 5);
    clearAll();
    inStep(6);
    side.currentTime = mapping.side(6) + AHEAD - 0.1;
    frame(1000);
    expect(conductor.clock.time()).toBeCloseTo(6, 9);
    expect(side.rate).toBeGreaterThan(1.001);
    // What a corrector that saw the track in step answers for a video now 0.1 s behind at base 1.001.
    const corrector = new DriftCorrector();
    corrector.correct(0, 1.001, front.frameDuration);
    const want = corrector.correct(-0.1, 1.001, front.frameDuration);
    expect(want.kind).toBe("rate");
    expect(side.rate).toBeCloseTo(want.kind === "rate" ? want.rate : NaN, 9);
    expect(side.seeks).toEqual([]);
    expect(front.rate).toBe(1);
    expect(front.seeks).toEqual([]);

    inStep(7);
    side.currentTime = mapping.side(7) - 1;
    frame(1000);
    expect(side.seeks).toHaveLength(1);
    expect(side.seeks[0]).toBeCloseTo(mapping.side(7) + AHEAD + LEAD * 1.001, 9);
    expect(front.seeks).toEqual([]);
  });

  it("a tick leaves a track alone while its seek runs", () => {
    const { conductor, side, inStep, clearAll } = setup();
    conductor.seekData(5);
    conductor.play();
    frame();
    settle(inStep, 5);
    clearAll();
    inStep(6);
    side.currentTime = mapping.side(6) - 1;
    side.seeking = true;
    frame(1000);
    expect(side.seeks).toEqual([]);
    expect(side.rates).toEqual([]);
    side.seeking = false;
    frame();
    expect(side.seeks).toHaveLength(1);
  });

  it("a track whose media starts later joins on the tick that reaches its start", () => {
    const { conductor, mic, tile, inStep } = setup();
    conductor.seekData(1);
    conductor.play();
    frame();
    expect(mic.plays).toBe(0);
    expect(mic.seeks).toEqual([]);
    expect(tile("mic").dataset.state).toBe("no-media");
    inStep(2);
    frame(1000);
    expect(mic.plays).toBe(0);
    inStep(3.5);
    mic.currentTime = 0; // it waited where it was, at its start
    frame(1500);
    expect(tile("mic").dataset.state).toBe("media");
    expect(overlay(tile("mic")).hidden).toBe(true);
    expect(mic.plays).toBe(1);
    expect(mic.paused).toBe(false);
    expect(mic.seeks).toHaveLength(1);
    expect(mic.seeks[0]).toBeCloseTo(0.5 + START, 9);
  });

  it("a model playing=false (Python, another view) pauses every track; playing=true plays", () => {
    const { model, conductor, all } = setup();
    conductor.seekData(5);
    model.set("playing", true);
    expect(conductor.playing).toBe(true);
    frame();
    expect(all.map((p) => p.paused)).toEqual([false, false, false]);
    model.set("playing", false);
    expect(conductor.playing).toBe(false);
    expect(conductor.clock.running).toBe(false);
    expect(all.map((p) => p.paused)).toEqual([true, true, true]);
    expect(frames.size).toBe(0);
  });

  it("a user's rate on one track sets the data speed so that track plays at it", () => {
    const { conductor, front, side, mic, inStep } = setup();
    conductor.seekData(5);
    conductor.play();
    inStep(5);
    frame();
    side.events.rate(2);
    expect(conductor.clock.speed).toBeCloseTo(2 / 1.001, 12);
    inStep(5);
    frame();
    expect(side.rate).toBeCloseTo(2, 9);
    expect(front.rate).toBeCloseTo(2 / 1.001, 9);
    expect(mic.rate).toBeCloseTo(2 / 1.001, 9);
  });
});

describe("Conductor: the user's controls on one track", () => {
  it("a user seek on one track moves the clock and seeks the others to their mappings", () => {
    const { model, conductor, front, side, mic, clearAll, follows } = setup();
    conductor.seekData(5);
    clearAll();
    side.currentTime = mapping.side(20);
    side.events.seeked(false, 0.05);
    expect(conductor.clock.time()).toBeCloseTo(20, 9);
    expect(side.seeks).toEqual([]); // it leads
    expect(front.seeks).toHaveLength(1);
    expect(front.seeks[0]).toBeCloseTo(20, 9);
    expect(mic.seeks[0]).toBeCloseTo(17, 9);
    expect(model.get("media_time")).toBeCloseTo(20, 9); // reported at once
    expect(follows).toEqual([]); // sync "ts-to-media": the window stays
  });

  it("with sync 'both', a user seek on a track moves the window to start there", () => {
    const { conductor, side, follows } = setup({ sync: "both" });
    conductor.seekData(5);
    side.currentTime = mapping.side(20);
    side.events.seeked(false, 0.05);
    expect(follows).toHaveLength(1);
    expect(follows[0][0]).toBeCloseTo(20, 9);
    expect(follows[0][1] - follows[0][0]).toBeCloseTo(10, 9);
  });

  it("an own seek's end only teaches the corrector its latency (no clock move)", () => {
    const { conductor, front, side } = setup();
    conductor.seekData(5);
    side.currentTime = mapping.side(30); // where it is does not matter: the seek was ours
    side.events.seeked(true, 0.3);
    expect(conductor.clock.time()).toBe(5);
    // The next seek of that track leads by the latency its corrector learnt.
    const taught = new DriftCorrector();
    taught.seeked(0.3);
    expect(taught.seekLatency).not.toBeCloseTo(LEAD, 3);
    conductor.play();
    front.currentTime = 0;
    frame();
    expect(front.seeks.at(-1)).toBeCloseTo(5 + AHEAD + LEAD, 9); // another track's corrector: default latency
    settle(() => {}, 5);
    side.paused = false;
    side.currentTime = mapping.side(5) - 2;
    frame(0);
    expect(side.seeks.at(-1)).toBeCloseTo(mapping.side(5) + AHEAD + taught.seekLatency * 1.001, 9);
  });

  it("a user play on a track starts every track from that track's time", () => {
    const { model, conductor, front, side, mic } = setup();
    conductor.seekData(5);
    side.currentTime = mapping.side(8);
    side.paused = false; // the user pressed play on its own controls
    side.events.playing(true, false);
    expect(conductor.playing).toBe(true);
    expect(model.get("playing")).toBe(true);
    expect(conductor.clock.time()).toBeCloseTo(8, 9);
    frame();
    expect(front.paused).toBe(false);
    expect(mic.paused).toBe(false);
    expect(front.seeks.at(-1)).toBeCloseTo(8 + AHEAD + LEAD, 9);
    expect(mic.seeks.at(-1)).toBeCloseTo(5 + START, 9);
  });

  it("an own play event (this code's play()) does not start anything", () => {
    const { conductor, side } = setup();
    side.events.playing(true, true);
    expect(conductor.playing).toBe(false);
  });

  it("a user pause on a track pauses every track", () => {
    const { conductor, all, side } = setup();
    conductor.seekData(5);
    conductor.play();
    frame();
    side.events.playing(false, false);
    expect(conductor.playing).toBe(false);
    expect(all.map((p) => p.paused)).toEqual([true, true, true]);
  });
});

describe("Conductor: loading", () => {
  it("writes the first track's duration to media_duration and the others' to _track_times, and saves", () => {
    const { model, front, side } = setup();
    front.events.loaded(120);
    expect(model.get("media_duration")).toBe(120);
    expect(model.saves).toBe(1);
    side.events.loaded(60);
    expect(model.get("_track_times")).toEqual({ side: { duration: 60, time: 0 } });
    expect(model.get("media_duration")).toBe(120);
    expect(model.saves).toBe(2);
  });

  it("a track whose media ended says so, with its end in data time", () => {
    const { conductor, mic, tile } = setup();
    mic.events.loaded(10);
    conductor.seekData(20);
    expect(tile("mic").dataset.state).toBe("no-media");
    expect(overlay(tile("mic")).textContent).toBe("mic: no media here (ended at 13.00 s)");
    expect(mic.paused).toBe(true);
  });

  it("a proportional track is aligned once its duration is known", () => {
    // The first track maps proportionally (offset null): 200 s of media over 100 s of data.
    const { conductor, front, tile } = setup({ offset: null });
    conductor.seekData(10);
    expect(front.seeks).toEqual([]); // unknown until loaded
    expect(tile("front").dataset.state).toBe("media");
    front.events.loaded(200);
    expect(front.seeks).toEqual([20]);
  });

  it("a track that loads does not clear another track's error", () => {
    const { front, side, errors, clears } = setup();
    front.events.error("Cannot load front.mp4");
    expect(errors).toEqual(["Cannot load front.mp4"]);
    side.events.loaded(60);
    expect(clears()).toBe(0);
  });
});

describe("Conductor: frames and ranges", () => {
  it("stepFrames pauses and steps the clock by one frame of the first video", () => {
    const { conductor, front, side } = setup();
    conductor.seekData(5);
    conductor.play();
    frame();
    front.frameDuration = 1 / 25;
    conductor.stepFrames(1);
    expect(conductor.playing).toBe(false);
    expect(conductor.clock.time()).toBeCloseTo(5.04, 9);
    expect(front.seeks.at(-1)).toBeCloseTo(5.04, 9);
    expect(side.seeks.at(-1)).toBeCloseTo(mapping.side(5.04), 9);
    conductor.stepFrames(-1);
    expect(conductor.clock.time()).toBeCloseTo(5, 9);
  });

  it("stepFrames steps a frame of media, which is less data time on a faster mapping", () => {
    const { conductor, front } = setup({ rate: 2 });
    conductor.seekData(5);
    conductor.stepFrames(1);
    expect(conductor.clock.time()).toBeCloseTo(5 + 1 / 30 / 2, 9);
    expect(front.seeks.at(-1)).toBeCloseTo(10 + 1 / 30, 9);
  });

  it("playRange(a, b) plays from a and stops at b", () => {
    const { model, conductor, front, side, all, inStep } = setup();
    conductor.playRange(4, 6);
    expect(front.seeks.at(-1)).toBe(4);
    frame();
    expect(conductor.playing).toBe(true);
    inStep(5);
    frame(1000);
    expect(conductor.playing).toBe(true);
    inStep(6.5);
    frame(1500);
    expect(conductor.playing).toBe(false);
    expect(model.get("playing")).toBe(false);
    expect(conductor.clock.time()).toBe(6);
    expect(front.seeks.at(-1)).toBe(6);
    expect(side.seeks.at(-1)).toBeCloseTo(mapping.side(6), 9);
    expect(all.map((p) => p.paused)).toEqual([true, true, true]);
    expect(frames.size).toBe(0);
    // Playing again is not bounded by the old range.
    conductor.play();
    frame();
    frame(1000);
    expect(conductor.playing).toBe(true);
  });

  it("stops at the end of the data", () => {
    const { conductor } = setup();
    conductor.seekData(SPAN - 0.5);
    conductor.play();
    frame();
    frame(1000);
    expect(conductor.playing).toBe(false);
    expect(conductor.clock.time()).toBe(SPAN);
  });
});

describe("Conductor: destroy", () => {
  it("removes its model listeners and stops the loop", () => {
    const { model, conductor, all } = setup();
    expect(model.listeners("change:playing")).toBe(1);
    conductor.seekData(5);
    conductor.play();
    conductor.destroy();
    expect(model.listeners("change:playing")).toBe(0);
    expect(model.listeners("change:media_time")).toBe(0);
    expect(frames.size).toBe(0);
    expect(all.every((p) => p.destroyed)).toBe(true);
    expect(conductor.tracks).toEqual([]);
    model.set("playing", false);
    model.set("media_time", 50);
    expect(conductor.clock.time()).toBe(5);
  });
});
