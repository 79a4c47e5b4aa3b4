// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import "./canvas-stub";
import { Charts, type ChartsHost } from "../charts";
import { MemoryPersistence } from "../persist";
import type { Sel } from "../range";
import { ModelState } from "../state";
import { FakeModel, settle } from "./fake-model";


const b64 = (a: Float32Array) => btoa(String.fromCharCode(...new Uint8Array(a.buffer)));

function setup() {
  // An overview of 4 columns (not raw) over 0..100 s.
  const x = new Float32Array([0, 25, 50, 100]);
  const model = new FakeModel({
    _meta: { span: 100, n: 100_000, channels: ["a"], kind: "numeric", unit: "s" },
    _overview: { x0: 0, bucket: 100, dt: 25, points: 4, dtypes: ["float32"], x: { __b64__: b64(x) }, ys: [{ __b64__: b64(new Float32Array([1, 2, 3, 4])) }] },
    regions: [],
    _store_key: "",
  });
  const st = new ModelState(model.asModel(), new MemoryPersistence());
  model.on("msg:custom", st.onMessage);
  const detailBox = document.createElement("div");
  const overviewBox = document.createElement("div");
  document.body.append(detailBox, overviewBox);
  let sel: Sel = [10, 20];
  let sized = 0;
  const host: ChartsHost = {
    meta: () => model.get("_meta") as never,
    height: () => 150,
    width: () => 600,
    theme: () => ({ fg: "#000", fgMuted: "#666", grid: "#ccc", bg: "#fff" }),
    window: () => sel,
    sized: () => sized++,
  };
  const charts = new Charts(detailBox, overviewBox, st, host);
  return { model, st, charts, detailBox, sized: () => sized, setSel: (s: Sel) => (sel = s) };
}

describe("Charts", () => {
  it("builds both charts and says when they are sized", async () => {
    const { charts, sized } = setup();
    charts.build();
    expect(charts.detail).not.toBeNull();
    expect(charts.overview).not.toBeNull();
    await settle();
    expect(sized()).toBeGreaterThan(0);
    charts.destroy();
  });

  it("draws the window from the overview until finer data arrives, asking the state for it", async () => {
    const { model, st, charts, detailBox } = setup();
    charts.build();
    charts.drawDetail();
    expect(detailBox.dataset.source).toBe("overview");
    expect([detailBox.dataset.lo, detailBox.dataset.hi]).toEqual(["10", "20"]);
    expect(detailBox.dataset.transport).toBe("binary");
    await settle();
    const [req] = model.sentOf("detail");
    expect(req).toMatchObject({ lo: 10, hi: 20 });
    // The kernel answers with raw samples for the window.
    const xs = new Float32Array([0, 5, 10]);
    model.deliver({ type: "detail", id: req.id, error: null, lo: 10, hi: 20, x0: 10, bucket: 1, dt: 0, dtypes: ["float32"], sizes: [12, 12] }, [
      new DataView(xs.buffer),
      new DataView(new Float32Array([7, 8, 9]).buffer),
    ]);
    await settle();
    expect(st.detailReplies).toBe(1);
    charts.drawDetail();
    expect(detailBox.dataset.source).toBe("detail");
    expect(detailBox.dataset.replies).toBe("1");
    charts.destroy();
  });

  it("nothing is drawn or told after destroy", async () => {
    const { charts, sized } = setup();
    charts.build();
    charts.destroy();
    const before = sized();
    charts.drawDetail();
    charts.resize();
    await settle();
    expect(sized()).toBe(before);
    expect(charts.detail).toBeNull();
  });
});
