// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import "./canvas-stub";
import { actionOf, bindKeys, SHORTCUTS } from "../keys";
import { Labeler } from "../labeling";
import { MemoryPersistence } from "../persist";
import { ModelState } from "../state";
import type { SyncPoint } from "../syncpoints";
import { settle } from "./fake-model";
import { mediaInfo } from "./fake-tracks";
import { alignView, alignWidget, type AlignWidget } from "./align-harness";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

const LABELS = [
  { name: "Run", color: null, key: "1" },
  { name: "Walk", color: null, key: "2" },
];

/**
 * A view with both the labeling UI and the alignment on one detail overlay,
 * keys bound as the View binds them.
 */
function setup(traits: Record<string, unknown> = {}, opts: { editable?: boolean } = {}) {
  const w = alignWidget({ _labels: LABELS, ...traits });
  cleanups.push(w.close);
  const st = new ModelState(w.model.asModel(), new MemoryPersistence());
  cleanups.push(() => st.dispose());
  const editable = opts.editable ?? true;
  const v = alignView(w, { editable });
  cleanups.push(v.destroy);
  const ac = new AbortController();
  const anchor = v.over.parentElement!;
  const labeler = new Labeler({
    model: w.model.asModel(),
    edits: st.edits,
    root: v.root,
    signal: ac.signal,
    editable,
    barAnchor: anchor,
    detailOver: () => v.over,
    channels: () => ["ax", "ay"],
    overviewOver: () => v.overviewOver,
    window: () => [0, 10],
    span: () => 10,
    playheadTime: () => null,
    playing: () => false,
    seekData: () => {},
    playRange: () => {},
    showError: () => {},
    clearError: () => {},
    align: { available: () => editable && (w.model.get("_media") as unknown[]).length > 0, open: () => v.align.open, toggle: () => v.align.toggle() },
  });
  labeler.attach();
  bindKeys(v.root, ac.signal, () => w.model.get("_labels") as typeof LABELS, (a) => (a.kind === "sync" ? v.align.syncKey() : labeler.onAction(a)));
  cleanups.push(() => (ac.abort(), labeler.destroy()));
  const key = (k: string) => {
    const e = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true });
    v.root.dispatchEvent(e);
    return e.defaultPrevented;
  };
  return { w, v, st, key, points: () => w.model.get("sync_points") as SyncPoint[] };
}

const regionEdits = (w: AlignWidget) => w.model.sentOf("edit");

describe("adding sync points", () => {
  it("Alt+click adds exactly one sync point with the track's player time, and nothing else happens", async () => {
    const { w, v, points } = setup();
    v.times.set("cam", 4.2);
    const saves = w.model.saves;
    v.pointer("pointerdown", 20, { altKey: true });
    v.pointer("pointermove", 60, { altKey: true });
    v.pointer("pointerup", 60, { altKey: true });
    await settle();
    expect(points()).toHaveLength(1);
    expect(points()[0]).toMatchObject({ track: "cam", data_time: 2, media_time: 4.2 });
    expect(points()[0].id).toHaveLength(12);
    expect(w.model.saves).toBe(saves + 1);
    // No region drawn, no preview, no edit sent.
    expect(regionEdits(w)).toEqual([]);
    expect(v.qa("region")).toEqual([]);
    expect(v.qa("sync-marker").map((m) => m.dataset.id)).toEqual([points()[0].id]);
    expect(v.text("align-status")).toBe("sync point added: cam at data 2.000 s");
  });

  it("a plain drag still draws a region, and Alt+double-click adds no point event", async () => {
    const { w, v, points } = setup();
    v.pointer("pointerdown", 20);
    v.pointer("pointermove", 40);
    v.pointer("pointermove", 60);
    v.pointer("pointerup", 60);
    expect(v.qa("region")).toHaveLength(1);
    v.over.dispatchEvent(new MouseEvent("dblclick", { clientX: 90, clientY: 25, altKey: true, bubbles: true }));
    await settle();
    expect(v.qa("region")).toHaveLength(1);
    expect(points()).toEqual([]);
    expect(regionEdits(w)).toHaveLength(1);
  });

  it("uses the panel's track and that track's player time", () => {
    const { v, points } = setup();
    v.times.set("mic", 7.25);
    v.align.toggle();
    v.choose("align-track", "mic");
    v.pointer("pointerdown", 55, { altKey: true });
    expect(points()).toEqual([expect.objectContaining({ track: "mic", data_time: 5.5, media_time: 7.25 })]);
    // The panel lists it, with its residual against mic's mapping (2 + 1.001 * 5.5 = 7.5055).
    expect(v.rows()).toEqual([{ id: points()[0].id, residual: "-255.5 ms", fit: "" }]);
  });

  it("S adds one under the last pointer position; before any, the key is left alone", () => {
    const { v, key, points } = setup();
    v.times.set("cam", 9);
    expect(key("s")).toBe(false);
    expect(points()).toEqual([]);
    v.pointer("pointermove", 30, { buttons: 0 });
    expect(key("s")).toBe(true);
    expect(key("S")).toBe(true);
    expect(points().map((p) => [p.track, p.data_time, p.media_time])).toEqual([
      ["cam", 3, 9],
      ["cam", 3, 9],
    ]);
    // The window moved since: the time under the pointer now.
    v.setWindow([10, 20]);
    key("s");
    expect(points().at(-1)!.data_time).toBe(10); // clamped to the span
    // Once the pointer left the chart nothing is under it: S adds nothing.
    v.pointer("pointerleave", 30, { buttons: 0 });
    const n = points().length;
    expect(key("s")).toBe(false);
    expect(points()).toHaveLength(n);
  });

  it("a label given the key s keeps it", () => {
    const labels = [{ name: "Sit", color: null, key: "s" }];
    const { v, key, points } = setup({ _labels: labels });
    v.pointer("pointermove", 30, { buttons: 0 });
    key("s");
    expect(points()).toEqual([]);
  });

  it("says so when the track has no media time, and adds nothing", () => {
    const { v, points } = setup();
    v.times.delete("cam");
    v.pointer("pointerdown", 20, { altKey: true });
    expect(points()).toEqual([]);
    expect(v.text("align-status")).toMatch(/no media time/);
    expect(v.q("align-status")!.classList.contains("tsv-align-error")).toBe(true);
  });

  it("does nothing on a read-only page", () => {
    const { v, key, points } = setup({}, { editable: false });
    v.pointer("pointerdown", 20, { altKey: true });
    v.pointer("pointermove", 30, { buttons: 0 });
    expect(key("s")).toBe(false);
    expect(points()).toEqual([]);
  });
});

describe("sync-point markers", () => {
  const pts = [
    { id: "a", track: "cam", data_time: 2, media_time: 3.5 },
    { id: "b", track: "mic", data_time: 8, media_time: 10 },
  ];

  it("marks every point on the detail chart and the overview, the panel's track emphasised", () => {
    const { w, v } = setup({ sync_points: pts });
    const detail = v.qa("sync-marker");
    expect(detail.map((m) => [m.dataset.id, m.style.left, m.classList.contains("tsv-sync-active")])).toEqual([
      ["a", "20px", true],
      ["b", "80px", false],
    ]);
    expect(detail[0].title).toBe("sync point · cam · data 2.000 s · media 3.500 s");
    expect(detail.every((m) => v.over.contains(m))).toBe(true);
    const overview = v.qa("sync-marker-overview");
    expect(overview.map((m) => [m.dataset.id, m.style.left])).toEqual([
      ["a", "40px"],
      ["b", "160px"],
    ]);
    expect(overview.every((m) => v.overviewOver.contains(m))).toBe(true);
    v.align.toggle();
    v.choose("align-track", "mic");
    expect(v.qa("sync-marker").map((m) => m.classList.contains("tsv-sync-active"))).toEqual([false, true]);
    w.model.set("sync_points", [pts[0]]);
    expect(v.qa("sync-marker").map((m) => m.dataset.id)).toEqual(["a"]);
  });

  it("follows the window", () => {
    const { v } = setup({ sync_points: pts });
    v.setWindow([0, 5]);
    v.align.draw();
    expect(v.qa("sync-marker").map((m) => [m.dataset.id, m.style.left])).toEqual([["a", "40px"]]);
    expect(v.qa("sync-marker-overview")).toHaveLength(2);
  });
});

describe("the label bar's align toggle", () => {
  it("shows the bar for media without labels, with the toggle alone; the toggle opens the panel", () => {
    const { v } = setup({ _labels: [] });
    const bar = v.q("labelbar")!;
    expect(bar.hidden).toBe(false);
    expect([...bar.children].map((c) => (c as HTMLElement).dataset.part)).toEqual(["align-toggle"]);
    const toggle = v.q("align-toggle")!;
    expect(toggle.textContent).toBe("Align");
    expect(toggle.getAttribute("aria-pressed")).toBe("false");
    toggle.click();
    expect(v.q("align-panel")!.hidden).toBe(false);
    expect(toggle.getAttribute("aria-pressed")).toBe("true");
    toggle.click();
    expect(v.q("align-panel")!.hidden).toBe(true);
  });

  it("keeps the label tools with labels, the toggle after them", () => {
    const { v } = setup();
    const parts = [...v.q("labelbar")!.children].map((c) => (c as HTMLElement).dataset.part);
    expect(parts.slice(0, 2)).toEqual(["label", "label"]);
    expect(parts.at(-1)).toBe("align-toggle");
    expect(parts).toContain("help-toggle");
  });

  it("is hidden on a read-only page, and without media or labels until media arrives", () => {
    expect(setup({ _labels: [] }, { editable: false }).v.q("labelbar")!.hidden).toBe(true);
    const { w, v } = setup({ _labels: [], _media: [] });
    expect(v.q("labelbar")!.hidden).toBe(true);
    w.model.set("_media", [mediaInfo("cam")]);
    expect(v.q("labelbar")!.hidden).toBe(false);
    expect(v.q("align-toggle")).not.toBeNull();
  });
});

describe("the keymap", () => {
  it("maps s to adding a sync point, and lists the gesture in the legend", () => {
    const k = (key: string) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, target: null });
    expect(actionOf(k("s"), [])).toEqual({ kind: "sync" });
    expect(actionOf(k("S"), [])).toEqual({ kind: "sync" });
    expect(actionOf({ ...k("s"), ctrlKey: true }, [])).toBeNull();
    expect(actionOf(k("s"), [{ name: "Sit", key: "s" }])).toEqual({ kind: "label", name: "Sit" });
    const legend = SHORTCUTS.map(([key, does]) => `${key} ${does}`).join("\n");
    expect(legend).toContain("Alt+click");
    expect(legend).toMatch(/\bS\b/);
  });
});
