import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { ModelState } from "../state";
import { detailReply } from "./fake-detail";

/** A model that records what the front end sends, with an overview of 100 s. */
function fakeModel() {
  const sent: Record<string, unknown>[] = [];
  const inFlightAtSend: number[] = [];
  const ovX = new Float32Array([0, 50, 50, 100]);
  const ovY = new Float32Array([0, 1, 1, 0]);
  const traits: Record<string, unknown> = {
    _meta: { span: 100 },
    _overview: { x0: 0, x: new DataView(ovX.buffer), ys: [new DataView(ovY.buffer)], dtypes: ["float32"], bucket: 1000, dt: 50 },
  };
  let st: ModelState | null = null;
  const model = {
    get: (k: string) => traits[k],
    send: (msg: Record<string, unknown>) => {
      sent.push(msg);
      inFlightAtSend.push(st ? st.channel.inFlight : 0);
    },
  } as unknown as AnyModel;
  st = new ModelState(model);
  return { st, sent, inFlightAtSend };
}

/** Answer request `msg` as the kernel would: `cols` columns over its window. */
function reply(st: ModelState, msg: Record<string, unknown>) {
  st.onMessage(...detailReply(msg));
}

async function settle() {
  await vi.advanceTimersByTimeAsync(1);
}

describe("detail requests and prefetch through one throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("the first window alone, then its neighbours, then it finer; one request at a time", async () => {
    const { st, sent, inFlightAtSend } = fakeModel();
    st.want(10, 20, 500);
    expect(sent.map((m) => [m.lo, m.hi, m.buckets])).toEqual([[10, 20, 500]]);
    reply(st, sent[0]);
    await settle();
    expect(sent.map((m) => [m.lo, m.hi, m.buckets])).toEqual([
      [10, 20, 500],
      [0, 30, 1500],
    ]);
    reply(st, sent[1]);
    await settle();
    expect(sent[2]).toMatchObject({ lo: 10, hi: 20, buckets: 2000 });
    reply(st, sent[2]);
    await settle();
    expect(sent.length).toBe(3); // nothing more to fetch for this window
    expect(Math.max(...inFlightAtSend)).toBe(1); // the one being sent: each goes after the previous reply
    // Now a drag of half a window and a zoom in by four are drawn without the kernel.
    st.want(15, 25, 500);
    st.want(13.75, 16.25, 500);
    await settle();
    expect(st.cache.find(13.75, 16.25, 500)).not.toBeNull();
  });

  it("a window the user moves to waits for at most the prefetch in flight, and goes before the rest", async () => {
    const { st, sent, inFlightAtSend } = fakeModel();
    st.want(10, 20, 500);
    reply(st, sent[0]);
    await settle();
    expect(sent[1]).toMatchObject({ lo: 0, hi: 30 }); // neighbours in flight
    st.want(60, 70, 500); // a jump away while it travels
    st.want(61, 71, 500);
    await settle();
    expect(sent.length).toBe(2);
    reply(st, sent[1]);
    await settle();
    expect(sent[2]).toMatchObject({ lo: 51, hi: 81, buckets: 1500 }); // the latest window, padded
    reply(st, sent[2]);
    await settle();
    expect(sent[3]).toMatchObject({ lo: 61, hi: 71, buckets: 2000 }); // then its finer copy
    expect(Math.max(...inFlightAtSend)).toBe(1);
    expect(st.detailRequests).toBe(4);
  });

  it("a prefetch the kernel cannot satisfy is not asked again", async () => {
    const { st, sent } = fakeModel();
    st.want(10, 20, 500);
    reply(st, sent[0]);
    await settle();
    reply(st, sent[1]);
    await settle();
    // The kernel caps the finer copy at fewer columns than asked: still too coarse.
    reply(st, { ...sent[2], buckets: 600 });
    await settle();
    await settle();
    expect(sent.length).toBe(3);
  });

  it("stops prefetching when disposed", async () => {
    const { st, sent } = fakeModel();
    st.want(10, 20, 500);
    reply(st, sent[0]);
    st.dispose();
    await settle();
    expect(sent.length).toBe(1);
  });
});
