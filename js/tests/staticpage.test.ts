// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { StaticHost } from "../hosts/static";
import { decodeBase64Tree as decodeState, fromBase64 } from "../buffers";
import { mountAll, pickTile, StaticModel, STATE_MIME, type Tile } from "../staticpage";
import { ModelState } from "../state";
import { MemoryPersistence } from "../persist";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

function tile(lo: number, hi: number, bucket: number, dt: number): Tile {
  return { header: { lo, hi, bucket, dt, x0: lo, points: 2, dtypes: ["float32"] }, buffers: [b64([0, 0, 0, 0, 0, 0, 128, 63]), b64([0, 0, 0, 64, 0, 0, 64, 64])] };
}

describe("embedded tiles", () => {
  const whole = tile(0, 100, 50, 0.05);
  const left = tile(0, 50, 25, 0.025);
  const middle = tile(25, 75, 25, 0.025);
  const fineLeft = tile(0, 25, 1, 0);
  const tiles = [whole, left, middle, fineLeft];
  it("answers with the finest tile that covers the request", () => {
    expect(pickTile(tiles, 30, 70)).toBe(middle);
    expect(pickTile(tiles, 1, 20)).toBe(fineLeft);
    expect(pickTile(tiles, 0, 100)).toBe(whole);
  });
  it("else the finest covering the middle third (the window inside a padded request), else the centre", () => {
    // Request 10..46 is inside `left`; request -30..60 has its middle third 0..30 inside `left` only.
    expect(pickTile([whole, left], -30, 60)).toBe(left);
    expect(pickTile([left, middle], 20, 80)).toBe(middle);
    expect(pickTile([left], 20, 70)).toBe(left);
    expect(pickTile([left], 60, 200)).toBeNull();
    expect(pickTile([], 0, 1)).toBeNull();
  });
});

describe("state of a static page", () => {
  it("decodes base64 buffers into DataViews and leaves everything else", () => {
    const st = decodeState({ a: 1, s: "x", list: [{ __b64__: b64([1, 2, 3]) }], nested: { x: { __b64__: b64([255]) } }, n: null }) as Record<string, unknown>;
    expect(st.a).toBe(1);
    expect(st.s).toBe("x");
    expect(st.n).toBeNull();
    const view = (st.list as DataView[])[0];
    expect(view).toBeInstanceOf(DataView);
    expect([...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)]).toEqual([1, 2, 3]);
    expect(fromBase64(b64([255])).getUint8(0)).toBe(255);
    // A dict with more keys than __b64__ is a plain dict.
    expect(decodeState({ __b64__: "AA==", other: 1 })).toEqual({ __b64__: "AA==", other: 1 });
  });

  it("a static model answers detail requests from its tiles and refuses what needs a kernel", async () => {
    const model = new StaticModel({ state: { _meta: { span: 100 }, _overview: {} }, chunks: [tile(0, 100, 50, 0.05), tile(0, 50, 25, 0.025)] });
    const got: [Record<string, unknown>, DataView[]][] = [];
    model.on("msg:custom", ((msg: Record<string, unknown>, bufs: DataView[]) => got.push([msg, bufs])) as never);
    model.send({ type: "detail", id: 7, lo: 10, hi: 20, buckets: 100 });
    model.send({ type: "media-chunk", id: 8, offset: 0, length: 10 });
    model.send({ type: "edit", id: 9, client: "c", ops: [] });
    expect(got).toHaveLength(0); // asynchronous, as a kernel is
    await new Promise((r) => setTimeout(r, 5));
    expect(got[0][0]).toMatchObject({ type: "detail", id: 7, error: null, lo: 0, hi: 50, bucket: 25 });
    expect(got[0][1]).toHaveLength(2);
    expect(got[1][0]).toMatchObject({ type: "media-chunk", id: 8 });
    expect(String(got[1][0].error)).toContain("static page");
    expect(String(got[2][0].error)).toContain("no kernel answers edit requests");
  });

  it("detail replies reach the per-model state with the tile's own bounds", async () => {
    const model = new StaticModel({ state: { _meta: { span: 100 }, _overview: {} }, chunks: [tile(0, 50, 25, 0.025)] });
    const st = new ModelState(model.asModel(), new MemoryPersistence());
    model.on("msg:custom", st.onMessage as never);
    st.want(10, 20, 100);
    await new Promise((r) => setTimeout(r, 20));
    expect(st.detailReplies).toBe(1);
    expect(st.cache.covering(10, 20)?.hi).toBe(50);
    st.dispose();
  });

  it("a window the page has nothing finer for is asked for once, not again at every draw", async () => {
    // Only a coarse tile: every reply is too coarse for a 100 px window of 10 s. The view
    // asks again each time it draws; the page answered the same tile without end.
    const model = new StaticModel({ state: { _meta: { span: 100 }, _overview: {} }, chunks: [tile(0, 100, 50, 2)] });
    const st = new ModelState(model.asModel(), new MemoryPersistence());
    model.on("msg:custom", st.onMessage as never);
    for (let i = 0; i < 4; i++) {
      st.want(10, 20, 100);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(st.detailReplies).toBe(1);
    expect(st.detailRequests).toBe(1);
    // Another window is still asked for.
    st.want(30, 40, 100);
    await new Promise((r) => setTimeout(r, 20));
    expect(st.detailRequests).toBe(2);
    st.dispose();
  });

  it("traits set in the page fire change events; unchanged values do not", () => {
    const model = new StaticModel({ state: { selection: [0, 1] }, chunks: [] });
    let n = 0;
    const fn = () => n++;
    model.on("change:selection", fn);
    model.set("selection", [1, 2]);
    model.set("media_duration", 3);
    const same = model.get("selection");
    model.set("selection", same);
    expect(n).toBe(1);
    model.off("change:selection", fn);
    model.set("selection", [2, 3]);
    expect(n).toBe(1);
  });
});

describe("mounting a static page", () => {
  it("renders each widget its script names, with the static host; a broken one says why as text", () => {
    document.body.innerHTML = "";
    const add = (id: string, json: string) => {
      const div = document.createElement("div");
      div.id = id;
      const script = document.createElement("script");
      script.type = STATE_MIME;
      script.dataset.for = id;
      script.textContent = json;
      document.body.append(div, script);
      return div;
    };
    const a = add("w0", JSON.stringify({ state: { _uid: "a" }, chunks: [] }));
    const b = add("w1", "{not json <b>x</b>");
    const calls: string[] = [];
    const undo = mountAll(document, {
      initialize: (model: AnyModel, host: StaticHost) => {
        calls.push(`init ${String(model.get("_uid"))} ${host.name}`);
        return () => calls.push("uninit");
      },
      render: (_model: AnyModel, el: HTMLElement) => {
        calls.push(`render ${el.id}`);
        return () => calls.push("unrender");
      },
    });
    expect(calls).toEqual(["init a static", "render w0"]);
    expect(a.childElementCount).toBe(0);
    expect(b.textContent).toContain("could not be shown");
    expect(b.querySelector("b")).toBeNull(); // text, never HTML
    undo();
    expect(calls.slice(2)).toEqual(["unrender", "uninit"]);
  });
});
