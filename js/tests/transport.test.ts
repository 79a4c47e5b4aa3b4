import { afterEach, describe, expect, it } from "vitest";
import { MemoryPersistence } from "../persist";
import { ModelState, overviewBroken } from "../state";
import { OVERVIEW_BUCKETS } from "../wire";
import { FakeModel, settle } from "./fake-model";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
const f32 = (...v: number[]) => [...new Uint8Array(new Float32Array(v).buffer)];

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

function state(traits: Record<string, unknown>) {
  const model = new FakeModel({ _meta: { span: 10, n: 3, channels: ["a"] }, regions: [], _store_key: "", ...traits });
  const st = new ModelState(model.asModel(), new MemoryPersistence());
  model.on("msg:custom", st.onMessage);
  cleanups.push(() => st.dispose());
  return { model, st };
}

const header = { x0: 0, bucket: 1, dt: 0, points: 2, dtypes: ["float32"] };

describe("the overview on hosts that lose binary buffers", () => {
  it("reads an overview sent as base64 text (transport='base64')", () => {
    const { st } = state({ transport: "base64", _overview: { ...header, x: { __b64__: b64(f32(0, 10)) }, ys: [{ __b64__: b64(f32(1, 2)) }] } });
    expect(Array.from(st.overview!.x)).toEqual([0, 10]);
    expect(Array.from(st.overview!.ys[0])).toEqual([1, 2]);
  });

  it("auto: an overview whose buffers were lost is asked for again as base64 text", async () => {
    const { model, st } = state({ transport: "auto", _overview: { ...header, x: null, ys: [] } });
    expect(st.overview).toBeNull();
    const [req] = model.sentOf("detail");
    expect(req).toMatchObject({ lo: 0, hi: 10, buckets: OVERVIEW_BUCKETS, b64: true });
    let told = 0;
    st.overviewListeners.add(() => told++);
    model.deliver({ type: "detail", id: req.id, error: null, ...header, lo: 0, hi: 10, b64: [b64(f32(0, 10)), b64(f32(5, 6))] });
    await settle();
    expect(Array.from(st.overview!.ys[0])).toEqual([5, 6]);
    expect(told).toBe(1);
    // Later requests ask for text too.
    st.want(2, 3, 100);
    await settle();
    expect(model.sentOf("detail").at(-1)).toMatchObject({ b64: true });
  });

  it("binary: lost buffers are reported, never asked again", () => {
    const { model, st } = state({ transport: "binary", _overview: { ...header, x: null, ys: [] } });
    expect(st.overview).toBeNull();
    expect(model.sentOf("detail")).toEqual([]);
    expect(st.lastError).toMatch(/transport = "base64"/);
  });

  it("names what is wrong with an overview's buffers", () => {
    const x = new DataView(new ArrayBuffer(8));
    expect(overviewBroken({ ...header, dtypes: ["float32"], x, ys: [x] })).toBeNull();
    expect(overviewBroken({ ...header, dtypes: ["float32"], ys: [x] })).toMatch(/time buffer did not arrive/);
    expect(overviewBroken({ ...header, dtypes: ["float32"], points: 3, x, ys: [x] })).toMatch(/8 bytes, 12 were sent/);
    expect(overviewBroken({ ...header, dtypes: ["float32"], x, ys: [] })).toMatch(/channel buffers/);
  });
});
