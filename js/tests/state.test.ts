import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeChunk } from "../state";
import { COMPACT, KERNEL_MS_FIELD } from "../wire";
import { detailReply, timedKernel } from "./fake-detail";

describe("decoding a window from the kernel", () => {
  it("adds the float64 origin to float32 offsets, honouring byteOffset", () => {
    // Offsets in the middle of a larger buffer, as a message's buffers can be.
    const whole = new Float32Array([9, 0, 0.5, 1.25, 9]);
    const x = new DataView(whole.buffer, 4, 12);
    const y = new Float64Array([1, 2, 3]);
    const c = decodeChunk(0, 10, 4, 0.5, ["float64"], 3600.125, x, [new DataView(y.buffer)]);
    expect(Array.from(c.x)).toEqual([3600.125, 3600.625, 3601.375]);
    expect(Array.from(c.ys[0])).toEqual([1, 2, 3]);
    expect(c.bucket).toBe(4);
    expect(c.dt).toBe(0.5);
  });
  it("refuses a channel count that does not match", () => {
    const x = new DataView(new Float32Array([0]).buffer);
    expect(() => decodeChunk(0, 1, 1, 0, ["float32", "float32"], 0, x, [x])).toThrow(/expected 2/);
  });
});

/** A model whose kernel answers a detail request after `latency + bytes / bytesPerMs` ms. */
function kernel(latency: number, bytesPerMs: number) {
  return timedKernel((msg) => detailReply(msg, { [KERNEL_MS_FIELD]: 0 }), (bytes) => latency + bytes / bytesPerMs);
}

describe("value levels of a slow link's requests", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a slow link asks for COMPACT.levelsPerPx levels per device pixel of the chart's height", async () => {
    const { st, sent } = kernel(50, 1250);
    st.want(10, 20, 500, 301.5);
    await vi.advanceTimersByTimeAsync(1000);
    // The first replies, while the link is not known to be slow yet: no levels.
    expect(sent.length).toBe(3);
    expect(sent.some((m) => "levels" in m)).toBe(false);
    expect(st.plan(500).slow).toBe(true);
    st.want(60, 70, 500, 301.5); // a jump: asked for at once
    expect(sent[3]).toMatchObject({ lo: 60, hi: 70, buckets: 500, compact: true, levels: Math.ceil(COMPACT.levelsPerPx * 301.5) });
    expect(sent[3].levels).toBe(2412);
    await vi.advanceTimersByTimeAsync(1000); // its neighbours, asked for with levels too
    expect(sent.length).toBeGreaterThan(4);
    expect(sent.slice(4).every((m) => m.levels === 2412)).toBe(true);
    st.dispose();
  });

  it("two views of one model (or a resize) ask for the levels of the tallest chart shown", async () => {
    const { st, sent } = kernel(50, 1250);
    st.want(10, 20, 500, 600);
    await vi.advanceTimersByTimeAsync(1000);
    expect(st.plan(500).slow).toBe(true);
    // A second, shorter view of the same model: the cached chunks serve both views.
    st.want(60, 70, 500, 200);
    expect(sent[3].levels).toBe(COMPACT.levelsPerPx * 600);
    st.dispose();
  });

  it("without a known height, and on a fast link, no levels", async () => {
    const slow = kernel(50, 1250);
    slow.st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    slow.st.want(60, 70, 500);
    expect(slow.sent.length).toBe(4);
    expect(slow.sent.some((m) => "levels" in m)).toBe(false);
    const fast = kernel(2, 100_000);
    fast.st.want(10, 20, 500, 300);
    await vi.advanceTimersByTimeAsync(200);
    fast.st.want(60, 70, 500, 300);
    await vi.advanceTimersByTimeAsync(200);
    expect(fast.sent.length).toBeGreaterThan(4);
    expect(fast.sent.every((m) => !("levels" in m) && m.compact === true)).toBe(true);
    slow.st.dispose();
    fast.st.dispose();
  });
});
