// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { MediaInfo } from "../media";
import { AUDIO_TOLERANCE_S, MediaTrack } from "../mediatrack";
import { FakeModel } from "./fake-model";
import { fakePlayers, mediaInfo, recordingEvents } from "./fake-tracks";

function setup(info: MediaInfo = mediaInfo("front"), index = 0) {
  const model = new FakeModel({
    _media: [info],
    _tracks: [{ name: info.track, muted: false, visible: true }],
  });
  const rec = recordingEvents();
  const fp = fakePlayers();
  const ac = new AbortController();
  const track = new MediaTrack(info, index, model.asModel(), rec.events, ac.signal, { make: fp.make });
  document.body.append(track.tile);
  const player = fp.get(info.track);
  const part = (name: string) => track.tile.querySelector<HTMLElement>(`[data-part="${name}"]`)!;
  return { model, track, player, rec, part, ac };
}

describe("MediaTrack tile", () => {
  it("is a track tile named by its track, holding the player's element", () => {
    const { track, player, part } = setup();
    expect(track.tile.dataset.part).toBe("track");
    expect(track.tile.dataset.track).toBe("front");
    expect(track.tile.dataset.state).toBe("media");
    expect(track.tile.classList.contains("tsv-track-video")).toBe(true);
    expect(part("track-name").textContent).toBe("front");
    expect(part("track-name").title).toBe("front.mp4");
    expect(part("track-body").firstElementChild).toBe(player.el);
    expect(player.el.dataset.track).toBe("front");
    expect(player.started).toBe(true);
    expect(part("no-media").hidden).toBe(true);
    expect(part("no-media").getAttribute("role")).toBe("status");
  });

  it("shows the track's name as text, never as HTML", () => {
    const { track, part } = setup(mediaInfo("<b>x</b>"));
    expect(part("track-name").textContent).toBe("<b>x</b>");
    expect(track.tile.querySelector("b")).toBeNull();
    expect(track.tile.dataset.track).toBe("<b>x</b>");
  });

  it("has an audio tile and a 20 ms tolerance for an audio track, a frame for a video", () => {
    const audio = setup(mediaInfo("mic", "audio"));
    expect(audio.track.kind).toBe("audio");
    expect(audio.track.tile.classList.contains("tsv-track-audio")).toBe(true);
    expect(audio.player.el.tagName).toBe("AUDIO");
    expect(audio.track.tolerance).toBe(AUDIO_TOLERANCE_S);
    const video = setup();
    video.player.frameDuration = 1 / 25;
    expect(video.track.tolerance).toBe(1 / 25);
  });
});

describe("MediaTrack settings", () => {
  it("the mute button writes _tracks (and saves); applySettings then mutes the element", () => {
    const { model, track, player, part } = setup();
    expect(part("track-mute").textContent).toBe("mute");
    expect(part("track-mute").getAttribute("aria-pressed")).toBe("false");
    part("track-mute").click();
    expect(model.get("_tracks")).toEqual([{ name: "front", muted: true, visible: true }]);
    expect(model.saves).toBe(1);
    track.applySettings();
    expect(player.el.muted).toBe(true);
    expect(part("track-mute").textContent).toBe("unmute");
    expect(part("track-mute").getAttribute("aria-pressed")).toBe("true");
    part("track-mute").click();
    expect(model.get("_tracks")).toEqual([{ name: "front", muted: false, visible: true }]);
  });

  it("the hide button writes _tracks; applySettings hides the body and pauses the player", () => {
    const { model, track, player, part } = setup();
    player.play();
    part("track-hide").click();
    expect(model.get("_tracks")).toEqual([{ name: "front", muted: false, visible: false }]);
    expect(track.visible).toBe(false);
    track.applySettings();
    expect(part("track-body").hidden).toBe(true);
    expect(track.tile.classList.contains("tsv-hidden-track")).toBe(true);
    expect(part("track-hide").textContent).toBe("show");
    expect(player.paused).toBe(true);
    part("track-hide").click();
    track.applySettings();
    expect(part("track-body").hidden).toBe(false);
    expect(track.tile.classList.contains("tsv-hidden-track")).toBe(false);
  });

  it("applySettings shows what the model says (Python muted it)", () => {
    const { model, track, player } = setup();
    model.set("_tracks", [{ name: "front", muted: true, visible: true }]);
    expect(player.el.muted).toBe(false); // the pane forwards the change
    track.applySettings();
    expect(player.el.muted).toBe(true);
    expect(model.saves).toBe(0);
  });

  it("the media's own mute control writes the same setting", () => {
    const { model, player } = setup();
    player.el.muted = true;
    player.el.dispatchEvent(new Event("volumechange"));
    expect(model.get("_tracks")).toEqual([{ name: "front", muted: true, visible: true }]);
    expect(model.saves).toBe(1);
    // A volume change that leaves the mute as it is writes nothing.
    player.el.dispatchEvent(new Event("volumechange"));
    expect(model.saves).toBe(1);
  });

  it("writes nothing after its signal is aborted", () => {
    const { model, part, ac } = setup();
    ac.abort();
    part("track-mute").click();
    expect(model.saves).toBe(0);
  });
});

describe("MediaTrack presence", () => {
  it("setPresent(false) shows the no-media text over a hidden, paused player; true restores it", () => {
    const { track, player, part } = setup();
    player.play();
    track.setPresent(false, "front: no media here (starts at 3 s)");
    expect(track.present).toBe(false);
    expect(track.tile.dataset.state).toBe("no-media");
    expect(part("no-media").hidden).toBe(false);
    expect(part("no-media").textContent).toBe("front: no media here (starts at 3 s)");
    expect(player.el.style.visibility).toBe("hidden");
    expect(player.paused).toBe(true);
    track.setPresent(false, "front: no media here (ended at 9 s)");
    expect(part("no-media").textContent).toBe("front: no media here (ended at 9 s)");
    track.setPresent(true, "");
    expect(track.tile.dataset.state).toBe("media");
    expect(part("no-media").hidden).toBe(true);
    expect(part("no-media").textContent).toBe("");
    expect(player.el.style.visibility).toBe("");
  });

  it("writes the no-media text as text", () => {
    const { track, part } = setup();
    track.setPresent(false, "<i>y</i>: no media here");
    expect(part("no-media").textContent).toBe("<i>y</i>: no media here");
    expect(track.tile.querySelector("i")).toBeNull();
  });
});

describe("MediaTrack events", () => {
  it("passes the player's events on with the track", () => {
    const { player, rec } = setup();
    player.events.loaded(12.5);
    player.events.time(true);
    player.events.seeked(false, 0.1);
    player.events.rate(1.5);
    player.events.error("boom");
    player.events.note("loading");
    expect(rec.calls).toEqual([
      ["loaded", "front", 12.5],
      ["time", "front", true],
      ["seeked", "front", false, 0.1],
      ["userRate", "front", 1.5],
      ["error", "front", "boom"],
      ["note", "loading"],
    ]);
  });

  it("a play or pause the user made reaches userPlaying; one this code made does not", () => {
    const { player, rec } = setup();
    player.events.playing(true, true);
    player.events.playing(false, true);
    expect(rec.of("userPlaying")).toEqual([]);
    player.events.playing(true, false);
    player.events.playing(false, false);
    expect(rec.of("userPlaying")).toEqual([
      ["userPlaying", "front", true],
      ["userPlaying", "front", false],
    ]);
  });

  it("shows a warning as a note on the tile, as text", () => {
    const { track, player } = setup();
    player.events.warn("<u>no sound</u>");
    const note = track.tile.querySelector<HTMLElement>('[data-part="media-note"]')!;
    expect(note.getAttribute("role")).toBe("note");
    expect(note.textContent).toBe("<u>no sound</u>");
    expect(track.tile.querySelector("u")).toBeNull();
  });

  it("destroy() destroys the player and removes the tile", () => {
    const { track, player } = setup();
    expect(track.tile.isConnected).toBe(true);
    track.destroy();
    expect(player.destroyed).toBe(true);
    expect(track.tile.isConnected).toBe(false);
  });
});
