import { describe, expect, it } from "vitest";
import {
  setTrackDuration,
  setTrackSetting,
  setTrackTimes,
  trackDuration,
  trackInfos,
  trackMap,
  trackSetting,
} from "../trackmodel";
import { FakeModel } from "./fake-model";
import { mediaInfo } from "./fake-tracks";

function model(extra: Record<string, unknown> = {}) {
  return new FakeModel({
    _media: [mediaInfo("front"), mediaInfo("side"), mediaInfo("mic", "audio")],
    _tracks: [
      { name: "front", muted: false, visible: true },
      { name: "side", muted: false, visible: true, offset: 2.35, rate: 1.001 },
      { name: "mic", muted: true, visible: true, offset: null, rate: 1 },
    ],
    _track_times: { side: { duration: 60, time: 1.5 } },
    offset: 0.5,
    rate: 2,
    media_duration: 120,
    media_time: 0,
    ...extra,
  });
}

describe("trackInfos and trackSetting", () => {
  it("reads the tracks in order, and defaults for a track without settings", () => {
    const m = model().asModel();
    expect(trackInfos(m).map((i) => i.track)).toEqual(["front", "side", "mic"]);
    expect(trackInfos(new FakeModel({ _media: null }).asModel())).toEqual([]);
    expect(trackSetting(m, "mic").muted).toBe(true);
    expect(trackSetting(m, "nobody")).toEqual({ name: "nobody", muted: false, visible: true });
  });
});

describe("trackMap", () => {
  it("maps the first track with the widget's own offset, rate and media_duration", () => {
    const m = model().asModel();
    expect(trackMap(m, "front", 100)).toEqual({ span: 100, duration: 120, offset: 0.5, rate: 2, knots: null });
    expect(trackDuration(m, "front")).toBe(120);
  });

  it("maps the others with their _tracks offset and rate and their _track_times duration", () => {
    const m = model().asModel();
    expect(trackMap(m, "side", 100)).toEqual({ span: 100, duration: 60, offset: 2.35, rate: 1.001, knots: null });
    // No duration yet, proportional.
    expect(trackMap(m, "mic", 100)).toEqual({ span: 100, duration: null, offset: null, rate: 1, knots: null });
  });

  it("does not take the first track's values for another track, or the reverse", () => {
    // The side track's settings and times must not leak into the first track's map.
    const m = model({ offset: null, rate: 1, media_duration: null }).asModel();
    expect(trackMap(m, "front", 50)).toEqual({ span: 50, duration: null, offset: null, rate: 1, knots: null });
    expect(trackMap(m, "side", 50).offset).toBe(2.35);
  });

  it("takes each track's knots from _tracks, the first track's too", () => {
    const knots: [number, number][] = [[0, 1], [10, 11], [20, 22]];
    const m = model({
      _tracks: [
        { name: "front", muted: false, visible: true, knots },
        { name: "side", muted: false, visible: true, offset: 2.35, rate: 1.001, knots: null },
        { name: "mic", muted: true, visible: true, offset: null, rate: 1, knots: [[0, 0], [5, 6]] },
      ],
    }).asModel();
    expect(trackMap(m, "front", 50).knots).toEqual(knots);
    expect(trackMap(m, "side", 50).knots).toBeNull();
    expect(trackMap(m, "mic", 50).knots).toEqual([[0, 0], [5, 6]]);
  });
});

describe("setTrackSetting", () => {
  it("writes only the named track's key, and saves", () => {
    const fm = model();
    setTrackSetting(fm.asModel(), "side", "visible", false);
    expect(fm.saves).toBe(1);
    const tracks = fm.get("_tracks") as { name: string; muted: boolean; visible: boolean; offset?: number }[];
    expect(tracks.map((t) => [t.name, t.muted, t.visible])).toEqual([
      ["front", false, true],
      ["side", false, false],
      ["mic", true, true],
    ]);
    expect(tracks[1].offset).toBe(2.35);
  });

  it("writes nothing (and does not save) when the value is already set", () => {
    const fm = model();
    let changes = 0;
    fm.on("change:_tracks", () => changes++);
    setTrackSetting(fm.asModel(), "mic", "muted", true);
    setTrackSetting(fm.asModel(), "front", "visible", true);
    expect(changes).toBe(0);
    expect(fm.saves).toBe(0);
  });

  it("writes a new list: the previous value is not mutated", () => {
    const fm = model();
    const before = fm.get("_tracks");
    const copy = structuredClone(before);
    setTrackSetting(fm.asModel(), "front", "muted", true);
    expect(fm.get("_tracks")).not.toBe(before);
    expect(before).toEqual(copy);
  });
});

describe("setTrackDuration", () => {
  it("writes the first track's duration to media_duration", () => {
    const fm = model({ media_duration: null });
    setTrackDuration(fm.asModel(), "front", 33);
    expect(fm.get("media_duration")).toBe(33);
    expect(fm.get("_track_times")).toEqual({ side: { duration: 60, time: 1.5 } });
    expect(fm.saves).toBe(0); // the caller saves
  });

  it("writes another track's duration to _track_times, keeping its time", () => {
    const fm = model();
    setTrackDuration(fm.asModel(), "side", 61);
    setTrackDuration(fm.asModel(), "mic", 9);
    expect(fm.get("_track_times")).toEqual({ side: { duration: 61, time: 1.5 }, mic: { duration: 9, time: 0 } });
    expect(fm.get("media_duration")).toBe(120);
  });
});

describe("setTrackTimes", () => {
  it("writes the other tracks' times, keeping their durations, and says it changed", () => {
    const fm = model();
    expect(setTrackTimes(fm.asModel(), { side: 4, mic: 2 })).toBe(true);
    expect(fm.get("_track_times")).toEqual({ side: { duration: 60, time: 4 }, mic: { duration: null, time: 2 } });
    expect(fm.saves).toBe(0);
  });

  it("ignores the first track (its time is media_time) and non-finite times", () => {
    const fm = model();
    let changes = 0;
    fm.on("change:_track_times", () => changes++);
    expect(setTrackTimes(fm.asModel(), { front: 7, side: Number.NaN })).toBe(false);
    expect(changes).toBe(0);
    expect(fm.get("_track_times")).toEqual({ side: { duration: 60, time: 1.5 } });
  });

  it("skips sub-microsecond changes, but not a microsecond's", () => {
    const fm = model();
    expect(setTrackTimes(fm.asModel(), { side: 1.5 + 5e-7 })).toBe(false);
    expect((fm.get("_track_times") as Record<string, { time: number }>).side.time).toBe(1.5);
    expect(setTrackTimes(fm.asModel(), { side: 1.5 + 2e-6 })).toBe(true);
    expect((fm.get("_track_times") as Record<string, { time: number }>).side.time).toBe(1.5 + 2e-6);
  });
});
