// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import "./canvas-stub";
import { Charts } from "../charts";
import { FallbackHost } from "../hosts/fallback";
import { MemoryPersistence } from "../persist";
import { ModelState } from "../state";
import { StaticHost } from "../hosts/static";
import type { Host } from "../hosts/host";
import type { SyncPoint } from "../syncpoints";
import { ALIGN } from "../wire";
import { initializeIn, renderIn } from "../widget";
import { FakeModel, settle } from "./fake-model";
import { mediaInfo } from "./fake-tracks";
import { rect } from "./align-harness";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

const b64 = (a: Float32Array) => ({ __b64__: btoa(String.fromCharCode(...new Uint8Array(a.buffer))) });

/** A whole widget (as widget.ts sets it up) with one video track "cam" and no labels. */
function widget(traits: Record<string, unknown> = {}, host: Host = new FallbackHost()) {
  const model = new FakeModel({
    _uid: `w${Math.random()}`,
    _meta: { span: 10, n: 11, channels: ["ax"], kind: "numeric", unit: "s", t0: 0, time_name: "t" },
    _overview: { x0: 0, bucket: 1, dt: 0, points: 11, dtypes: ["float32"], x: b64(Float32Array.from({ length: 11 }, (_, i) => i)), ys: [b64(new Float32Array(11))] },
    selection: [0, 10],
    sync: "off",
    height: 200,
    transport: "base64",
    offset: 1.5,
    rate: 1,
    media_duration: null,
    _media: [mediaInfo("cam")],
    _tracks: [{ name: "cam", muted: false, visible: true, knots: null }],
    _track_times: {},
    sync_points: [],
    _align_undo: [],
    _labels: [],
    regions: [],
    _store_key: "",
    ...traits,
  });
  cleanups.push(initializeIn(model.asModel(), host));
  return { model, host };
}

/** One view of `w` in the page; its detail overlay is 100 px wide (clientX 20 is 2 s of 0..10). */
function view(w: ReturnType<typeof widget>) {
  const el = document.createElement("div");
  document.body.append(el);
  const unrender = renderIn(w.model.asModel(), el, w.host);
  let done = false;
  const destroy = () => {
    if (done) return;
    done = true;
    unrender();
    el.remove();
  };
  cleanups.push(destroy);
  const over = el.querySelector<HTMLElement>(".tsv-detail .u-over")!;
  over.getBoundingClientRect = () => rect(0, 100);
  Object.defineProperty(over, "clientWidth", { value: 100 });
  const q = (part: string) => el.querySelector<HTMLElement>(`[data-part="${part}"]`);
  const root = q("root")!;
  return {
    el,
    root,
    over,
    q,
    destroy,
    video: () => el.querySelector<HTMLVideoElement>('video[data-track="cam"]')!,
    key: (k: string) => {
      const e = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true });
      root.dispatchEvent(e);
      return e.defaultPrevented;
    },
    pointer: (type: string, x: number, init: PointerEventInit = {}) =>
      over.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: 25, button: 0, buttons: 1, pointerId: 1, bubbles: true, cancelable: true, ...init })),
  };
}

describe("the view's alignment", () => {
  it("media without labels: the bar shows the align toggle alone; it opens the panel above the detail chart", () => {
    const w = widget();
    const v = view(w);
    const bar = v.q("labelbar")!;
    expect(bar.hidden).toBe(false);
    expect([...bar.children].map((c) => (c as HTMLElement).dataset.part)).toEqual(["align-toggle"]);
    const panel = v.q("align-panel")!;
    expect(panel.hidden).toBe(true);
    expect(w.model.sentOf(ALIGN.feature)).toEqual([]);
    v.q("align-toggle")!.click();
    expect(panel.hidden).toBe(false);
    expect(panel.nextElementSibling).toBe(v.q("detail"));
    expect(bar.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(v.q("align-offset")!.textContent).toBe("1.500 s");
    // The check asks for the video's motion feature once open (not before).
    expect(v.q("align-check")).not.toBeNull();
    expect(w.model.sentOf(ALIGN.feature)).toEqual([expect.objectContaining({ track: "cam", method: "motion" })]);
  });

  it("Alt+click adds one sync point at the player's current time; S adds one under the pointer", () => {
    const w = widget();
    const v = view(w);
    v.video().currentTime = 4.25;
    expect(v.video().currentTime).toBe(4.25);
    v.pointer("pointerdown", 20, { altKey: true });
    v.pointer("pointerup", 20, { altKey: true });
    expect(document.activeElement).toBe(v.root);
    const points = () => w.model.get("sync_points") as SyncPoint[];
    expect(points()).toEqual([expect.objectContaining({ track: "cam", data_time: 2, media_time: 4.25 })]);
    v.pointer("pointermove", 70, { buttons: 0 });
    expect(v.key("s")).toBe(true);
    expect(points().map((p) => p.data_time)).toEqual([2, 7]);
    // The markers follow.
    expect([...v.el.querySelectorAll<HTMLElement>('[data-part="sync-marker"]')].map((m) => m.style.left)).toEqual(["20px", "70px"]);
    expect(v.el.querySelectorAll('[data-part="sync-marker-overview"]')).toHaveLength(2);
    expect(w.model.sentOf("edit")).toEqual([]);
  });

  it("the legend lists the gesture", () => {
    const v = view(widget());
    expect(v.q("shortcuts")!.textContent).toContain("Alt+click");
  });

  it("a fit's reply fills the residuals in the view's panel", async () => {
    const w = widget({ sync_points: [{ id: "p1", track: "cam", data_time: 2, media_time: 3.51 }] });
    const v = view(w);
    v.q("align-toggle")!.click();
    expect(v.q("sync-residual")!.textContent).toBe("10.0 ms");
    v.q("align-fit")!.click();
    const [req] = w.model.sentOf(ALIGN.fit);
    w.model.deliver({ type: ALIGN.fit, id: req.id, error: null, fit: { track: "cam", model: "offset", offset: 1.51, rate: 1, knots: null, rms_ms: 0, max_ms: 0, residuals: [{ id: "p1", data_time: 2, media_time: 3.51, residual_ms: 0 }] } });
    await settle();
    expect(v.q("sync-fit-residual")!.textContent).toBe("0.0 ms");
  });

  it("two views of one widget: each has its panel; destroying one leaves the other's listeners", () => {
    const w = widget();
    const names = ["change:sync_points", "change:_align_undo", "change:_media", "change:_tracks", "change:offset"];
    const count = () => names.map((n) => w.model.listeners(n));
    const base = count();
    const a = view(w);
    const one = count();
    const b = view(w);
    expect(count()).toEqual(one.map((k, i) => base[i] + 2 * (k - base[i])));
    a.q("align-toggle")!.click();
    expect(a.q("align-panel")!.hidden).toBe(false);
    expect(b.q("align-panel")!.hidden).toBe(true);
    a.destroy();
    expect(count()).toEqual(one);
    b.q("align-toggle")!.click();
    b.pointer("pointerdown", 50, { altKey: true });
    expect(w.model.get("sync_points")).toHaveLength(1);
    expect(b.el.querySelectorAll('[data-part="sync-row"]')).toHaveLength(1);
    b.destroy();
    expect(count()).toEqual(base);
  });

  it("a static page: no toggle, no bar, Alt+click adds nothing; markers still show", () => {
    const w = widget({ sync_points: [{ id: "p1", track: "cam", data_time: 2, media_time: 3.5 }] }, new StaticHost());
    const v = view(w);
    expect(v.q("labelbar")!.hidden).toBe(true);
    expect(v.q("align-toggle")).toBeNull();
    v.pointer("pointerdown", 50, { altKey: true });
    v.pointer("pointermove", 50, { buttons: 0 });
    expect(v.key("s")).toBe(false);
    expect(w.model.get("sync_points")).toHaveLength(1);
    expect(v.q("sync-marker")!.dataset.id).toBe("p1");
  });
});

describe("the detail points the check draws", () => {
  it("are the detail chart's own, per channel; null for an unknown channel or before the chart is built", () => {
    const model = new FakeModel({
      _meta: { span: 4, n: 3, channels: ["a", "b"], kind: "numeric", unit: "s", t0: 0 },
      _overview: { x0: 0, bucket: 1, dt: 0, points: 3, dtypes: ["float32", "float32"], x: b64(new Float32Array([0, 2, 4])), ys: [b64(new Float32Array([1, NaN, 3])), b64(new Float32Array([7, 8, 9]))] },
      regions: [],
      _store_key: "",
    });
    const st = new ModelState(model.asModel(), new MemoryPersistence());
    cleanups.push(() => st.dispose());
    const box = document.createElement("div");
    const obox = document.createElement("div");
    document.body.append(box, obox);
    const charts = new Charts(box, obox, st, {
      meta: () => model.get("_meta") as never,
      height: () => 100,
      width: () => 300,
      theme: () => ({ fg: "#000", fgMuted: "#666", grid: "#ccc", bg: "#fff" }),
      window: () => [0, 4],
      sized: () => {},
    });
    cleanups.push(() => (charts.destroy(), box.remove(), obox.remove()));
    expect(charts.series("a")).toBeNull();
    charts.build();
    charts.drawDetail();
    expect(Array.from(charts.series("a")!.xs)).toEqual([0, 2, 4]);
    expect(Array.from(charts.series("a")!.ys)).toEqual([1, null, 3]);
    expect(Array.from(charts.series("b")!.ys)).toEqual([7, 8, 9]);
    expect(charts.series("c")).toBeNull();
  });
});
