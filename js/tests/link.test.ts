import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAST, IDLE_MS, LATENCY_SLOW_MS, LINK_SAMPLES, LinkMeter, linkPlan, MIN_EVIDENCE, PREFETCH_BUDGET_MS, STILL_MS, TRANSFER_SLOW_MS } from "../link";
import { KERNEL_MS_FIELD } from "../wire";
import { detailReply, rand, timedKernel } from "./fake-detail";

describe("the link meter", () => {
  it("assumes a fast link until a reply is measured", () => {
    const m = new LinkMeter();
    expect(m.predict(1e6)).toBe(0);
    expect(m.fastestMs).toBeNull();
    expect(m.estimate()).toBeNull();
    expect(linkPlan(m, 10_000)).toEqual(FAST);
  });

  it("separates latency from bandwidth when reply sizes differ", () => {
    const m = new LinkMeter();
    // 50 ms of round trip and 10 Mbit/s (1250 bytes per ms).
    for (const bytes of [10_000, 30_000, 20_000, 40_000]) m.observe(bytes, 50 + bytes / 1250);
    expect(m.predict(0)).toBeCloseTo(50, 6);
    expect(m.predict(125_000)).toBeCloseTo(150, 6);
    expect(m.transferMs(12_500)).toBeCloseTo(10, 6);
    expect(m.fastestMs).toBeCloseTo(58, 6);
  });

  it("subtracts the kernel's own time from each round trip", () => {
    const m = new LinkMeter();
    for (const [bytes, kernel] of [[10_000, 120], [30_000, 15], [20_000, 300], [40_000, 60]]) m.observe(bytes, kernel + 50 + bytes / 1250, kernel);
    expect(m.estimate()!.latencyMs).toBeCloseTo(50, 6);
    expect(m.estimate()!.perByteMs).toBeCloseTo(1 / 1250, 9);
  });

  it("reads the link from the fastest replies: extra waits on some replies change nothing", () => {
    const m = new LinkMeter();
    const waits = [0, 40, 13, 0, 250, 7, 41, 0];
    [10_000, 40_000, 30_000, 40_000, 10_000, 30_000, 10_000, 30_000].forEach((bytes, i) => m.observe(bytes, 50 + bytes / 1250 + waits[i]));
    expect(m.estimate()!.latencyMs).toBeCloseTo(50, 6);
    expect(m.estimate()!.perByteMs).toBeCloseTo(1 / 1250, 9);
  });

  it("with replies of one size, predicts from the fastest, scaled by size", () => {
    const m = new LinkMeter();
    for (const ms of [60, 80, 70]) m.observe(10_000, ms);
    expect(m.estimate()).toEqual({ latencyMs: 60, perByteMs: null });
    expect(m.predict(10_000)).toBe(60);
    expect(m.predict(30_000)).toBeCloseTo(180, 6); // latency counted in proportion: the safe side
    expect(m.predict(100)).toBe(60);
    expect(m.transferMs(10_000)).toBeNull();
  });

  it("keeps the last replies only, and ignores nonsense", () => {
    const m = new LinkMeter();
    for (let i = 0; i < 20; i++) m.observe(1000, 500);
    for (let i = 0; i < LINK_SAMPLES; i++) m.observe(1000, 2);
    m.observe(NaN, 3);
    m.observe(1000, -1);
    m.observe(1000, 5, NaN);
    expect(m.count).toBe(LINK_SAMPLES);
    expect(m.predict(1000)).toBe(2);
  });
});


/**
 * Replies as the front end makes them on a link of `latency` ms and `bytesPerMs`: a window,
 * then padded windows and prefetches (3 and 4 windows of bytes), with the kernel busy
 * `kernel()` ms on each and the machine adding `extra()` ms (load, Nagle) to the wire.
 */
function observed(windowBytes: number, latency: number, bytesPerMs: number, kernel: () => number, extra: () => number, n = LINK_SAMPLES): LinkMeter {
  const m = new LinkMeter();
  for (let i = 0; i < n; i++) {
    const bytes = windowBytes * [1, 3, 4][i % 3];
    const k = kernel();
    m.observe(bytes, k + latency + bytes / bytesPerMs + extra(), k);
  }
  return m;
}

describe("fast and slow links, told apart under load", () => {
  // Loopback: ~1 ms and about a GB/s. Two busy cores: the kernel takes 20-300 ms per
  // reply, scheduling adds 0-15 ms to the wire, and about one reply in three waits
  // 40 ms on the Jupyter server's Nagle.
  const loaded = (seed: number) => {
    const r = rand(seed);
    return { kernel: () => 20 + 280 * r(), extra: () => 15 * r() + (r() < 0.35 ? 40 : 0) };
  };

  it("loopback on a loaded machine stays fast, for one channel and for eight", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const windowBytes of [9000, 70_000]) {
        const { kernel, extra } = loaded(seed);
        const m = observed(windowBytes, 1, 1e6, kernel, extra);
        expect(linkPlan(m, windowBytes), `seed ${seed}, ${windowBytes} B`).toEqual(FAST);
      }
    }
  });

  it("loopback where every reply waited on Nagle stays fast", () => {
    const r = rand(7);
    const m = observed(70_000, 1, 1e6, () => 5 + 50 * r(), () => 40 + 4 * r());
    expect(m.estimate()!.latencyMs).toBeLessThan(LATENCY_SLOW_MS);
    expect(linkPlan(m, 70_000)).toEqual(FAST);
  });

  it("10 Mbit/s with 50 ms of round trip is slow, loaded or not, kernel time or not", () => {
    for (const seed of [1, 2, 3]) {
      for (const [windowBytes, neighbours, zoom] of [
        [9000, 0.5, 1],
        [70_000, 0.25, 1],
      ]) {
        const { kernel, extra } = loaded(seed);
        const m = observed(windowBytes, 50, 1250, kernel, extra);
        expect(linkPlan(m, windowBytes), `seed ${seed}, ${windowBytes} B`).toEqual({ slow: true, requestPad: 0, stillMs: STILL_MS, idleMs: IDLE_MS, neighbours, zoom });
      }
    }
  });

  it("eight channels over a fast but narrow link (100 Mbit/s, 5 ms) are slow by bandwidth alone", () => {
    const m = observed(300_000, 5, 12_500, () => 5, () => 0);
    expect(300_000 / 12_500).toBeGreaterThan(TRANSFER_SLOW_MS);
    expect(linkPlan(m, 300_000).slow).toBe(true);
  });

  it("one slow reply, or too few replies, never changes the plan", () => {
    const m = observed(9000, 1, 1e6, () => 3, () => 0, 8);
    m.observe(27_000, 900, 2); // one reply stuck 900 ms somewhere
    expect(linkPlan(m, 9000)).toEqual(FAST);
    const early = new LinkMeter();
    for (let i = 1; i < MIN_EVIDENCE; i++) {
      early.observe(9000 * i, 400);
      expect(linkPlan(early, 9000)).toEqual(FAST);
    }
    early.observe(9000 * MIN_EVIDENCE, 400);
    expect(linkPlan(early, 9000).slow).toBe(true);
  });
});

describe("the prefetch rule", () => {
  /** A meter that has seen windows of `bytes` take `ms`, and larger replies at `perByte` ms a byte. */
  function meter(latency: number, bytesPerMs: number): LinkMeter {
    const m = new LinkMeter();
    for (const b of [9000, 18_000, 27_000, 36_000]) m.observe(b, latency + b / bytesPerMs);
    return m;
  }

  it("keeps everything on a fast link (loopback: a few ms)", () => {
    expect(linkPlan(meter(3, 50_000), 9000)).toEqual(FAST);
    expect(linkPlan(meter(15, 5000), 70_000)).toEqual(FAST); // 8 channels on a LAN: 29 ms
  });

  it("on 10 Mbit/s with 50 ms of round trip: waits for the window to stop, asks it alone, prefetches what fits 150 ms", () => {
    // One channel: a window is ~9 KB, 57 ms; two windows 65 ms: half a window each side,
    // and no finer copy (bytes count on a slow link).
    const one = linkPlan(meter(50, 1250), 9000);
    expect(one).toEqual({ slow: true, requestPad: 0, stillMs: STILL_MS, idleMs: IDLE_MS, neighbours: 0.5, zoom: 1 });
    // Eight channels: a window is ~70 KB, 106 ms; 1.5 windows 134 ms, twice 162 ms: no zoom prefetch.
    const eight = linkPlan(meter(50, 1250), 70_000);
    expect(eight).toEqual({ slow: true, requestPad: 0, stillMs: STILL_MS, idleMs: IDLE_MS, neighbours: 0.25, zoom: 1 });
    // A window that alone takes longer than the budget: nothing is prefetched.
    expect(linkPlan(meter(120, 1250), 70_000)).toMatchObject({ slow: true, neighbours: 0, zoom: 1 });
    expect(LATENCY_SLOW_MS).toBeLessThan(PREFETCH_BUDGET_MS);
  });
});

/**
 * A model whose kernel answers a detail request after `kernelMs + latency + bytes / bytesPerMs`
 * ms (16 bytes per column), saying it spent `kernelMs` on it.
 */
function slowKernel(latency: number, bytesPerMs: number, kernelMs = 0) {
  return timedKernel((msg) => detailReply(msg, { [KERNEL_MS_FIELD]: kernelMs }), (bytes) => kernelMs + latency + bytes / bytesPerMs);
}

const windows = (sent: Record<string, unknown>[]) => sent.map((m) => [m.lo, m.hi, m.buckets]);

describe("detail requests sized by the measured link", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("on a fast link a drag refines as it goes, and the neighbours and the 4x window are prefetched", async () => {
    const { st, sent } = slowKernel(2, 100_000);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(200);
    expect(windows(sent)).toEqual([
      [10, 20, 500],
      [0, 30, 1500],
      [10, 20, 2000],
    ]);
    for (let i = 1; i <= 10; i++) {
      st.want(10 + 3 * i, 20 + 3 * i, 500);
      await vi.advanceTimersByTimeAsync(16);
    }
    const during = sent.length - 3;
    expect(during).toBeGreaterThanOrEqual(3); // requests while the window moved
    st.dispose();
  });

  it("a kernel that takes 150 ms a reply on loopback is not a slow link: the drag still refines as it goes", async () => {
    const { st, sent } = slowKernel(2, 100_000, 150);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(2000);
    expect(st.link.count).toBeGreaterThanOrEqual(MIN_EVIDENCE);
    expect(st.plan(500)).toEqual(FAST);
    const before = sent.length;
    st.want(60, 70, 500); // not cached, not waiting to be still: asked for at once, padded
    expect(windows(sent.slice(before))).toEqual([[50, 80, 1500]]);
    st.dispose();
  });

  it("on 10 Mbit/s and 50 ms a drag sends one unpadded request, once the window is still", async () => {
    const { st, sent } = slowKernel(50, 1250);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    // The first window, then (fast until MIN_EVIDENCE replies were measured) the neighbours
    // and the 4x window; that makes three, of two sizes: 50 ms + 0.8 ms/KB, slow.
    expect(windows(sent)).toEqual([
      [10, 20, 500],
      [0, 30, 1500],
      [10, 20, 2000],
    ]);
    expect(st.plan(500)).toMatchObject({ slow: true, requestPad: 0, stillMs: STILL_MS });
    const before = sent.length;
    for (let i = 1; i <= 15; i++) {
      st.want(10 + 2 * i, 20 + 2 * i, 500);
      await vi.advanceTimersByTimeAsync(16);
    }
    st.want(40, 50, 500); // the same window again (a redraw) does not restart the wait
    expect(sent.length).toBe(before);
    await vi.advanceTimersByTimeAsync(STILL_MS);
    expect(windows(sent.slice(before))).toEqual([[40, 50, 500]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(st.cache.find(40, 50, 500)).not.toBeNull();
    st.dispose();
  });

  it("on a slow link the window a drag ends on does not wait behind a request from a pause in it", async () => {
    const { st, sent } = slowKernel(200, 1250); // 200 ms of round trip: nothing prefetched
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    const before = sent.length;
    st.want(60, 70, 500);
    await vi.advanceTimersByTimeAsync(STILL_MS + 5); // a pause: the window is asked for
    expect(windows(sent.slice(before))).toEqual([[60, 70, 500]]);
    st.want(80, 90, 500); // the drag goes on and stops while that reply travels
    await vi.advanceTimersByTimeAsync(STILL_MS);
    expect(windows(sent.slice(before))).toEqual([
      [60, 70, 500],
      [80, 90, 500],
    ]);
    expect(st.channel.inFlight).toBe(2);
    st.want(30, 40, 500); // a third waits for a lane
    await vi.advanceTimersByTimeAsync(STILL_MS);
    expect(sent.length - before).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(windows(sent.slice(before + 2))).toEqual([[30, 40, 500]]);
    st.dispose();
  });

  it("on a slow link nothing is asked while a pointer is down, and the last window at once when it comes up", async () => {
    const { st, sent } = slowKernel(50, 1250);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    const before = sent.length;
    st.hold(true);
    for (let i = 1; i <= 10; i++) {
      st.want(20 + 5 * i, 30 + 5 * i, 500);
      await vi.advanceTimersByTimeAsync(i % 3 === 0 ? 80 : 16); // pauses in the drag
    }
    expect(sent.length).toBe(before);
    st.hold(false);
    expect(windows(sent.slice(before))).toEqual([[70, 80, 500]]);
    // A fast link ignores it: requests go out while the pointer is down.
    const fast = slowKernel(2, 100_000);
    fast.st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(200);
    const n = fast.sent.length;
    fast.st.hold(true);
    fast.st.want(60, 70, 500);
    expect(fast.sent.length).toBe(n + 1);
    fast.st.hold(false);
    st.dispose();
    fast.st.dispose();
  });

  it("a move back onto cached data cancels the waiting request", async () => {
    const { st, sent } = slowKernel(50, 1250);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    const before = sent.length;
    st.want(18, 28, 500);
    await vi.advanceTimersByTimeAsync(16);
    st.want(26, 36, 500); // a drag, out of the cached data
    await vi.advanceTimersByTimeAsync(16);
    st.want(11, 21, 500); // and back inside the cached neighbours
    await vi.advanceTimersByTimeAsync(STILL_MS * 2);
    expect(sent.slice(before).map((m) => m.lo)).not.toContain(26);
    st.dispose();
  });

  it("on a slow link a window that jumps (a click on the overview) is asked for at once", async () => {
    const { st, sent } = slowKernel(50, 1250);
    st.want(10, 20, 500);
    await vi.advanceTimersByTimeAsync(1000);
    const before = sent.length;
    st.want(60, 70, 500);
    expect(windows(sent.slice(before))).toEqual([[60, 70, 500]]);
    // Its prefetches wait until the window has been still for IDLE_MS.
    await vi.advanceTimersByTimeAsync(100);
    expect(sent.length - before).toBe(1);
    await vi.advanceTimersByTimeAsync(IDLE_MS + 100);
    expect(sent.length - before).toBeGreaterThan(1);
    st.dispose();
  });
});
