// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import "./canvas-stub";
import { ALIGN, ALIGN_MODELS, ALIGN_SUGGEST_TIMEOUT_MS, ALIGN_TIMEOUT_MS } from "../wire";
import { settle } from "./fake-model";
import { mediaInfo } from "./fake-tracks";
import { alignView, alignWidget } from "./align-harness";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function setup(traits: Record<string, unknown> = {}) {
  const w = alignWidget(traits);
  cleanups.push(w.close);
  const v = alignView(w);
  cleanups.push(v.destroy);
  return { w, v };
}

const points = [
  { id: "p1", track: "cam", data_time: 2, media_time: 3.51 },
  { id: "p2", track: "cam", data_time: 6, media_time: 7.5 },
  { id: "m1", track: "mic", data_time: 1, media_time: 3.001 },
];

const fit = {
  track: "cam",
  model: "linear",
  offset: 1.505,
  rate: 1.0001,
  knots: null,
  rms_ms: 2.5,
  max_ms: 5,
  residuals: [
    { id: "p1", media_time: 3.51, residual_ms: 4.8 },
    { id: "p2", media_time: 7.5, residual_ms: -5 },
  ],
};

describe("the alignment panel", () => {
  it("is hidden until toggled; the track select lists the tracks, the first picked", () => {
    const { v } = setup();
    const panel = v.q("align-panel")!;
    expect(panel.hidden).toBe(true);
    v.align.toggle();
    expect(panel.hidden).toBe(false);
    expect(v.toggles()).toBe(1);
    const sel = v.q<HTMLSelectElement>("align-track")!;
    expect([...sel.options].map((o) => o.value)).toEqual(["cam", "mic"]);
    expect(sel.value).toBe("cam");
    expect([...v.q<HTMLSelectElement>("align-model")!.options].map((o) => o.value)).toEqual([...ALIGN_MODELS]);
    v.align.toggle();
    expect(panel.hidden).toBe(true);
  });

  it("shows the first track's offset and rate from the model, the others' from _tracks, and follows changes", () => {
    const { w, v } = setup();
    v.align.toggle();
    expect(v.text("align-offset")).toBe("1.500 s");
    expect(v.text("align-rate")).toBe("0 ppm (1)");
    w.model.set("offset", 1.25);
    w.model.set("rate", 1.001);
    expect(v.text("align-offset")).toBe("1.250 s");
    expect(v.text("align-rate")).toBe("+1000 ppm (1.001)");
    v.choose("align-track", "mic");
    expect(v.text("align-offset")).toBe("2.000 s");
    expect(v.text("align-rate")).toBe("+1000 ppm (1.001)");
    w.model.set("_tracks", [
      { name: "cam", muted: false, visible: true, knots: null },
      { name: "mic", muted: false, visible: true, offset: 2.5, rate: 1, knots: null },
    ]);
    expect(v.text("align-offset")).toBe("2.500 s");
    w.model.set("offset", null);
    v.choose("align-track", "cam");
    expect(v.text("align-offset")).toBe("proportional");
  });

  it("lists the track's sync points with their residual under the mapping now", () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    // cam: media = 1.5 + rel; p1 is 10 ms late, p2 on time.
    expect(v.rows()).toEqual([
      { id: "p1", residual: "10.0 ms", fit: "" },
      { id: "p2", residual: "0.0 ms", fit: "" },
    ]);
    expect(v.qa("sync-row")[0].querySelector('[data-part="sync-data"]')!.textContent).toBe("2.000 s");
    expect(v.qa("sync-row")[0].querySelector('[data-part="sync-media"]')!.textContent).toBe("3.510 s");
    w.model.set("offset", 1.51);
    expect(v.rows()[0].residual).toBe("0.0 ms");
    v.choose("align-track", "mic");
    expect(v.rows()).toEqual([{ id: "m1", residual: "0.0 ms", fit: "" }]);
  });

  it("a row's delete button removes that point", () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    const saves = w.model.saves;
    v.qa("sync-row")[0].querySelector<HTMLButtonElement>('[data-part="sync-delete"]')!.click();
    expect((w.model.get("sync_points") as { id: string }[]).map((p) => p.id)).toEqual(["p2", "m1"]);
    expect(w.model.saves).toBe(saves + 1);
    expect(v.rows().map((r) => r.id)).toEqual(["p2"]);
  });

  it("fit asks the kernel, fills the fit residuals and summary; apply sends the fit's numbers", async () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    expect(v.q<HTMLButtonElement>("align-apply")!.disabled).toBe(true);
    v.choose("align-model", "linear");
    v.click("align-fit");
    const [req] = w.model.sentOf(ALIGN.fit);
    expect(req).toMatchObject({ track: "cam", model: "linear" });
    expect(v.q<HTMLButtonElement>("align-fit")!.disabled).toBe(true);
    w.reply(ALIGN.fit, { fit });
    await settle();
    expect(v.rows().map((r) => r.fit)).toEqual(["4.8 ms", "-5.0 ms"]);
    expect(v.text("align-fit-result")).toBe("linear fit: offset 1.505 s, rate +100 ppm; rms 2.5 ms, max 5.0 ms");
    expect(v.q<HTMLButtonElement>("align-apply")!.disabled).toBe(false);
    v.click("align-apply");
    expect(w.model.sentOf(ALIGN.apply)).toEqual([expect.objectContaining({ track: "cam", offset: 1.505, rate: 1.0001, knots: null })]);
    w.reply(ALIGN.apply);
    await settle();
    expect(v.text("align-status")).toBe("applied");
    // Another track has no fit.
    v.choose("align-track", "mic");
    expect(v.q<HTMLButtonElement>("align-apply")!.disabled).toBe(true);
    expect(v.text("align-fit-result")).toBe("");
  });

  it("sends a piecewise fit's knots with apply", async () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    v.click("align-fit");
    const knots = [[0, 1.5], [6, 7.5]];
    w.reply(ALIGN.fit, { fit: { ...fit, model: "piecewise", knots } });
    await settle();
    v.click("align-apply");
    expect(w.model.sentOf(ALIGN.apply)[0]).toMatchObject({ track: "cam", knots });
  });

  it("drops a fit once the track's sync points change, and a fit answered after they changed", async () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    v.click("align-fit");
    w.reply(ALIGN.fit, { fit });
    await settle();
    // A change to another track's points keeps it.
    w.model.set("sync_points", points.filter((p) => p.id !== "m1"));
    expect(v.rows()[0].fit).toBe("4.8 ms");
    w.model.set("sync_points", points.filter((p) => p.id !== "p2"));
    expect(v.rows()).toEqual([{ id: "p1", residual: "10.0 ms", fit: "" }]);
    expect(v.q<HTMLButtonElement>("align-apply")!.disabled).toBe(true);
    v.click("align-fit");
    w.model.set("sync_points", points);
    w.reply(ALIGN.fit, { fit });
    await settle();
    expect(v.rows().every((r) => r.fit === "")).toBe(true);
    expect(v.text("align-status")).toMatch(/changed while fitting/);
  });

  it("undo is enabled only with a previous alignment of the panel's track", async () => {
    const { w, v } = setup();
    v.align.toggle();
    const undo = () => v.q<HTMLButtonElement>("align-undo")!;
    expect(undo().disabled).toBe(true);
    w.model.set("_align_undo", [{ track: "mic", offset: 1, rate: 1, knots: null }]);
    expect(undo().disabled).toBe(true);
    v.choose("align-track", "mic");
    expect(undo().disabled).toBe(false);
    undo().click();
    expect(w.model.sentOf(ALIGN.undo)).toEqual([expect.objectContaining({ track: "mic" })]);
    w.reply(ALIGN.undo);
    await settle();
    expect(v.text("align-status")).toBe("alignment undone");
    w.model.set("_align_undo", []);
    expect(undo().disabled).toBe(true);
  });

  it("shows the kernel's error, or a timeout, in the status line", async () => {
    const { w, v } = setup({ sync_points: points });
    v.align.toggle();
    v.click("align-fit");
    w.reply(ALIGN.fit, { error: "points too close: 2 points less than 0.5 s apart" });
    await settle();
    expect(v.text("align-status")).toBe("points too close: 2 points less than 0.5 s apart");
    expect(v.q("align-status")!.classList.contains("tsv-align-error")).toBe(true);
    expect(v.q<HTMLButtonElement>("align-fit")!.disabled).toBe(false);
    expect(v.rows().every((r) => r.fit === "")).toBe(true);
  });

  it("times a request out after ALIGN_TIMEOUT_MS and says so", async () => {
    vi.useFakeTimers();
    try {
      const { v } = setup({ sync_points: points });
      v.align.toggle();
      v.click("align-fit");
      vi.advanceTimersByTime(ALIGN_TIMEOUT_MS + 1);
      await vi.runAllTimersAsync();
      expect(v.text("align-status")).toMatch(/no reply within/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("renders a hostile track name as text, in the select, the markers and the legend", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { w, v } = setup({
      _media: [mediaInfo(evil), mediaInfo("mic", "audio")],
      _tracks: [{ name: evil, muted: false, visible: true, knots: null }],
      sync_points: [{ id: "e1", track: evil, data_time: 2, media_time: 3 }],
    });
    v.align.toggle();
    await settle();
    expect(v.root.querySelector("img")).toBeNull();
    expect(v.q<HTMLSelectElement>("align-track")!.options[0].textContent).toBe(evil);
    expect(v.q("sync-marker")!.title).toContain(evil);
    expect(v.q("align-legend")!.textContent).toContain(evil);
    v.click("align-fit");
    expect(w.model.sentOf(ALIGN.fit)[0]).toMatchObject({ track: evil });
  });

  it("follows the tracks: a new list keeps the track picked while it remains", () => {
    const { w, v } = setup();
    v.align.toggle();
    v.choose("align-track", "mic");
    w.model.set("_media", [mediaInfo("mic", "audio"), mediaInfo("cam2")]);
    expect(v.q<HTMLSelectElement>("align-track")!.value).toBe("mic");
    w.model.set("_media", [mediaInfo("cam2")]);
    expect(v.q<HTMLSelectElement>("align-track")!.value).toBe("cam2");
    // No media: the panel closes.
    w.model.set("_media", []);
    expect(v.q("align-panel")!.hidden).toBe(true);
    expect(v.align.open).toBe(false);
  });
});

describe("suggestions", () => {
  it("asks with the track, channel, method and range; waits while suggesting; lists candidates to apply", async () => {
    const { w, v } = setup();
    v.align.toggle();
    expect([...v.q<HTMLSelectElement>("align-channel")!.options].map((o) => o.value)).toEqual(["ax", "ay"]);
    expect(v.q<HTMLInputElement>("align-search-lo")!.value).toBe("-60");
    expect(v.q<HTMLInputElement>("align-search-hi")!.value).toBe("60");
    v.choose("align-channel", "ay");
    v.choose("align-method", "audio");
    v.q<HTMLInputElement>("align-search-lo")!.value = "-10";
    v.click("align-suggest");
    const [req] = w.model.sentOf(ALIGN.suggest);
    expect(req).toMatchObject({ track: "cam", channel: "ay", method: "audio", search: [-10, 60] });
    expect(v.q<HTMLButtonElement>("align-suggest")!.disabled).toBe(true);
    expect(v.text("align-status")).toBe("suggesting…");
    v.click("align-suggest"); // waits: no second request
    expect(w.model.sentOf(ALIGN.suggest)).toHaveLength(1);
    w.reply(ALIGN.suggest, {
      candidates: [
        { offset: 1.2345, rate: 1.0001, confidence: 0.9, method: "audio" },
        { offset: 4, rate: 1, confidence: 0.1, method: "audio" },
      ],
      low_confidence: 0.3,
    });
    await settle();
    expect(v.q<HTMLButtonElement>("align-suggest")!.disabled).toBe(false);
    const rows = v.qa("align-candidate");
    expect(rows.map((r) => r.textContent)).toEqual([
      "offset 1.234 srate +100 ppmconfidence 0.90audioapply",
      "offset 4.000 srate 0 ppmconfidence 0.10 (low)audioapply",
    ]);
    expect(rows[1].classList.contains("tsv-align-low")).toBe(true);
    rows[0].querySelector<HTMLButtonElement>('[data-part="align-candidate-apply"]')!.click();
    expect(w.model.sentOf(ALIGN.apply)).toEqual([expect.objectContaining({ track: "cam", offset: 1.2345, rate: 1.0001, knots: null })]);
    // Another track does not show cam's candidates.
    v.choose("align-track", "mic");
    expect(v.qa("align-candidate")).toEqual([]);
  });

  it("gives the suggestion its long timeout, and shows a failure", async () => {
    const { w, v } = setup();
    v.align.toggle();
    expect(ALIGN_SUGGEST_TIMEOUT_MS).toBeGreaterThan(ALIGN_TIMEOUT_MS);
    v.click("align-suggest");
    w.reply(ALIGN.suggest, { error: "no audio stream in cam.mp4" });
    await settle();
    expect(v.text("align-status")).toBe("no audio stream in cam.mp4");
    expect(v.q<HTMLButtonElement>("align-suggest")!.disabled).toBe(false);
  });

  it("refuses a search range that is not one", () => {
    const { w, v } = setup();
    v.align.toggle();
    v.q<HTMLInputElement>("align-search-lo")!.value = "70";
    v.click("align-suggest");
    expect(w.model.sentOf(ALIGN.suggest)).toEqual([]);
    expect(v.text("align-status")).toMatch(/below its end/);
  });
});

describe("the alignment check", () => {
  const f32 = (...v: number[]) => new DataView(new Float32Array(v).buffer);

  it("asks for the track's feature only while open, motion for a video, audio for audio, once each", async () => {
    const { w, v } = setup();
    v.align.draw();
    expect(w.model.sentOf(ALIGN.feature)).toEqual([]);
    v.align.toggle();
    expect(w.model.sentOf(ALIGN.feature)).toEqual([expect.objectContaining({ track: "cam", method: "motion" })]);
    expect(v.text("align-check-note")).toBe("loading the motion feature of cam…");
    v.align.draw();
    v.align.dataArrived();
    expect(w.model.sentOf(ALIGN.feature)).toHaveLength(1);
    w.reply(ALIGN.feature, { t0: 0, dt: 0.5, points: 3, method: "motion" }, [f32(0, 1, 0)]);
    await settle();
    expect(v.text("align-check-note")).toBe("");
    expect(v.q("align-legend-channel")!.textContent).toBe("ax");
    expect(v.q("align-legend-feature")!.textContent).toBe("cam motion");
    v.choose("align-track", "mic");
    expect(w.model.sentOf(ALIGN.feature).at(-1)).toMatchObject({ track: "mic", method: "audio" });
    v.choose("align-check-feature", "motion");
    expect(w.model.sentOf(ALIGN.feature).at(-1)).toMatchObject({ track: "mic", method: "motion" });
    // Back to cam: held, not asked again.
    const n = w.model.sentOf(ALIGN.feature).length;
    v.choose("align-track", "cam");
    await settle();
    expect(w.model.sentOf(ALIGN.feature)).toHaveLength(n);
    expect(v.text("align-check-note")).toBe("");
  });

  it("decodes a feature sent as base64 text", async () => {
    const { w, v } = setup({ transport: "base64" });
    w.channel.transport = "base64";
    v.align.toggle();
    const [req] = w.model.sentOf(ALIGN.feature);
    expect(req.b64).toBe(true);
    const text = btoa(String.fromCharCode(...new Uint8Array(new Float32Array([0, 1]).buffer)));
    w.reply(ALIGN.feature, { t0: 0, dt: 1, points: 2, method: "motion", b64: [text] });
    await settle();
    expect(v.text("align-check-note")).toBe("");
  });

  it("says why the feature is missing, and asks again once the media changed", async () => {
    const { w, v } = setup();
    v.align.toggle();
    w.reply(ALIGN.feature, { error: "cannot decode cam.mp4" });
    await settle();
    expect(v.text("align-check-note")).toBe("motion feature of cam: cannot decode cam.mp4");
    v.align.draw();
    expect(w.model.sentOf(ALIGN.feature)).toHaveLength(1);
    w.model.set("_media", [mediaInfo("cam"), mediaInfo("mic", "audio")]);
    v.align.draw();
    expect(w.model.sentOf(ALIGN.feature)).toHaveLength(2);
  });
});

describe("two views of one widget", () => {
  it("each works; destroying one removes exactly its listeners, and the other goes on", async () => {
    const w = alignWidget({ sync_points: points });
    cleanups.push(w.close);
    const before = (name: string) => w.model.listeners(name);
    const names = ["change:sync_points", "change:_align_undo", "change:_tracks", "change:offset", "change:_media", "change:_track_times"];
    const base = names.map(before);
    const a = alignView(w);
    const b = alignView(w);
    cleanups.push(b.destroy);
    a.align.toggle();
    b.align.toggle();
    expect(a.rows().map((r) => r.id)).toEqual(["p1", "p2"]);
    expect(b.rows().map((r) => r.id)).toEqual(["p1", "p2"]);
    a.qa("sync-row")[0].querySelector<HTMLButtonElement>('[data-part="sync-delete"]')!.click();
    expect(b.rows().map((r) => r.id)).toEqual(["p2"]);
    expect(b.qa("sync-marker").map((m) => m.dataset.id)).toEqual(["m1", "p2"]);
    const two = names.map((n, i) => before(n) - base[i]);
    expect(two.every((k) => k >= 2)).toBe(true);
    a.destroy();
    expect(a.root.isConnected).toBe(false);
    // b alone listens now: half of what two views added.
    expect(names.map((n, i) => before(n) - base[i])).toEqual(two.map((k) => k / 2));
    w.model.set("sync_points", []);
    expect(b.rows()).toEqual([]);
    b.click("align-fit");
    w.reply(ALIGN.fit, { error: "need at least 1 sync point" });
    await settle();
    expect(b.text("align-status")).toBe("need at least 1 sync point");
    b.destroy();
    expect(names.map((n) => w.model.listeners(n))).toEqual(base);
  });
});
