import { describe, expect, it } from "vitest";
import type { MediaClock } from "../mediatime";
import type { MediaTrack } from "../mediatrack";
import { REPORT_MS, Reporter } from "../reporter";
import { FakeModel } from "./fake-model";
import { mediaInfo } from "./fake-tracks";

/** What the reporter reads of a track: its name and its player's time. */
function fakeTrack(name: string, currentTime = 0) {
  return { name, player: { currentTime } };
}

function setup() {
  const model = new FakeModel({
    _media: [mediaInfo("front"), mediaInfo("side"), mediaInfo("mic", "audio")],
    _track_times: { side: { duration: 60, time: 0 } },
    media_time: 0,
    playing: false,
  });
  const tracks = [fakeTrack("front"), fakeTrack("side"), fakeTrack("mic")];
  const seeks: number[] = [];
  const first: MediaClock = {
    get currentTime() {
      return tracks[0].player.currentTime;
    },
    paused: true,
    seek: (t) => seeks.push(t),
  };
  const heard: boolean[] = [];
  let now = 1000;
  const reporter = new Reporter(
    model.asModel(),
    () => tracks as unknown as MediaTrack[],
    () => first,
    (p) => heard.push(p),
    () => now,
  );
  const at = (front: number, side: number, mic: number) => {
    tracks[0].player.currentTime = front;
    tracks[1].player.currentTime = side;
    tracks[2].player.currentTime = mic;
  };
  return { model, reporter, at, seeks, heard, advance: (ms: number) => (now += ms) };
}

describe("Reporter", () => {
  it("setPlaying writes (and saves) only a change", () => {
    const { model, reporter, heard } = setup();
    reporter.setPlaying(false);
    expect(model.saves).toBe(0);
    reporter.setPlaying(true);
    expect(model.get("playing")).toBe(true);
    expect(model.saves).toBe(1);
    reporter.setPlaying(true);
    expect(model.saves).toBe(1);
    // Its own write reaches the callback too (the conductor ignores a play while playing).
    expect(heard).toEqual([true]);
  });

  it("report writes the first track's media_time and the others' _track_times in one call", () => {
    const { model, reporter, at } = setup();
    at(5, 7.35, 2);
    reporter.report(false);
    expect(model.get("media_time")).toBe(5);
    expect(model.get("_track_times")).toEqual({ side: { duration: 60, time: 7.35 }, mic: { duration: null, time: 2 } });
    expect(model.saves).toBeGreaterThan(0);
    expect(model.get("_track_times")).not.toHaveProperty("front");
  });

  it("throttles to REPORT_MS unless forced", () => {
    const { model, reporter, at, advance } = setup();
    at(1, 1, 1);
    reporter.report(false);
    at(2, 2, 2);
    advance(REPORT_MS - 1);
    reporter.report(false);
    expect(model.get("media_time")).toBe(1);
    expect((model.get("_track_times") as Record<string, { time: number }>).side.time).toBe(1);
    reporter.report(true);
    expect(model.get("media_time")).toBe(2);
    expect((model.get("_track_times") as Record<string, { time: number }>).mic.time).toBe(2);
    at(3, 3, 3);
    advance(REPORT_MS - 1);
    reporter.report(false); // a forced report restarts the interval
    expect(model.get("media_time")).toBe(2);
    advance(1);
    reporter.report(false);
    expect(model.get("media_time")).toBe(3);
  });

  it("saves nothing when no time changed", () => {
    const { model, reporter, at } = setup();
    at(0, 0, 0);
    model.set("_track_times", { side: { duration: 60, time: 0 }, mic: { duration: null, time: 0 } });
    reporter.report(true);
    expect(model.saves).toBe(0);
  });

  it("tells its callback when the model's playing changes", () => {
    const { model, heard } = setup();
    model.set("playing", true);
    model.set("playing", false);
    expect(heard).toEqual([true, false]);
  });

  it("seeks the first track's clock when Python sets media_time", () => {
    const { model, seeks } = setup();
    model.set("media_time", 12.5);
    expect(seeks).toEqual([12.5]);
  });

  it("dispose removes its listeners", () => {
    const { model, reporter, heard, seeks } = setup();
    reporter.dispose();
    expect(model.listeners("change:playing")).toBe(0);
    expect(model.listeners("change:media_time")).toBe(0);
    model.set("playing", true);
    model.set("media_time", 3);
    expect(heard).toEqual([]);
    expect(seeks).toEqual([]);
  });
});
