import { describe, expect, it } from "vitest";
import { ChunkCache, goodEnough, MAX_AHEAD, MAX_BUCKETS, Motion, prefetchPlan, secondsPerBucket, windowRequest, ZOOM_PREFETCH, type Chunk, chooseDetail } from "../detail";
import { ladderWidth } from "../stitch";

function chunk(lo: number, hi: number, buckets: number, bucket = 10): Chunk {
  const x = new Float64Array(buckets * 2);
  for (let k = 0; k < buckets; k++) {
    x[2 * k] = lo + ((hi - lo) * k) / buckets;
    x[2 * k + 1] = lo + ((hi - lo) * (k + 1)) / buckets;
  }
  return { lo, hi, bucket, dt: bucket > 1 ? (hi - lo) / buckets : 0, x, ys: [new Float32Array(buckets * 2)] };
}

describe("window requests", () => {
  it("pads by one window each side at one bucket per pixel", () => {
    expect(windowRequest(10, 20, 100, 500)).toEqual({ lo: 0, hi: 30, buckets: 1500 });
  });
  it("clamps to the data and caps the bucket count", () => {
    expect(windowRequest(0, 10, 12, 800)).toEqual({ lo: 0, hi: 12, buckets: 960 });
    expect(windowRequest(10, 20, 100, 5000).buckets).toBe(MAX_BUCKETS);
  });
});

describe("choosing what to draw", () => {
  it("a chunk covering the window at about a bucket per pixel is good enough", () => {
    const c = chunk(0, 30, 1500);
    expect(secondsPerBucket(c)).toBeCloseTo(0.02);
    expect(goodEnough(c, 10, 20, 500)).toBe(true);
    expect(goodEnough(c, 25, 35, 500)).toBe(false); // leaves the chunk
    expect(goodEnough(c, 10, 11, 500)).toBe(false); // zoomed in: too coarse
  });
  it("raw chunks are always fine enough", () => {
    expect(goodEnough(chunk(0, 30, 10, 1), 10, 10.001, 2000)).toBe(true);
  });
  it("the cache returns the finest good chunk and forgets the oldest", () => {
    const cache = new ChunkCache(2);
    const coarse = chunk(0, 100, 5000);
    const fine = chunk(5, 25, 4000);
    cache.add(coarse);
    cache.add(fine);
    expect(cache.find(10, 20, 500)).toBe(fine);
    expect(cache.find(50, 60, 500)).toBe(coarse);
    cache.add(chunk(200, 300, 10));
    expect(cache.size).toBe(2);
    // The fine chunk was least recently used and is gone; the coarse one still serves.
    expect(cache.find(10, 20, 500)).toBe(coarse);
    expect(cache.find(10, 10.5, 500)).toBe(null);
  });
});

describe("first paint", () => {
  it("asks for just the window when pad is 0", () => {
    expect(windowRequest(10, 20, 100, 500, 0)).toEqual({ lo: 10, hi: 20, buckets: 500 });
  });
});

describe("prefetching around the window on screen", () => {
  it("asks for nothing while the window itself is not held (that is a request)", () => {
    expect(prefetchPlan(new ChunkCache(), 10, 20, 100, 500)).toEqual([]);
  });
  it("asks for the neighbours, then the window four times finer", () => {
    const cache = new ChunkCache();
    cache.add(chunk(10, 20, 500)); // the first paint: just the window
    expect(prefetchPlan(cache, 10, 20, 100, 500)).toEqual([
      { lo: 0, hi: 30, buckets: 1500 },
      { lo: 10, hi: 20, buckets: 500 * ZOOM_PREFETCH },
    ]);
    cache.add(chunk(0, 30, 1500));
    expect(prefetchPlan(cache, 10, 20, 100, 500)).toEqual([{ lo: 10, hi: 20, buckets: 2000 }]);
    cache.add(chunk(10, 20, 2000));
    expect(prefetchPlan(cache, 10, 20, 100, 500)).toEqual([]);
  });
  it("after those, a drag of half a window and a zoom in by four are drawn from memory", () => {
    const cache = new ChunkCache();
    cache.add(chunk(0, 30, 1500));
    cache.add(chunk(10, 20, 2000));
    expect(cache.find(15, 25, 500)).not.toBeNull(); // dragged right by half a window
    expect(cache.find(5, 15, 500)).not.toBeNull(); // and left
    expect(cache.find(13.75, 16.25, 500)).not.toBeNull(); // zoomed in 4x
    expect(cache.find(0, 30, 500)).not.toBeNull(); // zoomed out 3x
    expect(cache.find(14.5, 15.5, 500)).toBeNull(); // 10x in: the kernel's turn
    // Meanwhile the finest chunk that covers it stands in.
    expect(cache.covering(14.5, 15.5)?.hi).toBe(20);
    expect(cache.covering(25, 35)).toBeNull();
  });
  it("a window near the data's end only asks for the side that exists", () => {
    const cache = new ChunkCache();
    cache.add(chunk(90, 100, 500));
    expect(prefetchPlan(cache, 90, 100, 100, 500)[0]).toEqual({ lo: 80, hi: 100, buckets: 1000 });
  });
});

describe("requests reach ahead of a moving window", () => {
  it("pads the side it moves to by `ahead` widths, the other by `pad`", () => {
    expect(windowRequest(40, 50, 100, 500, 1, 3)).toEqual({ lo: 30, hi: 80, buckets: 2500 });
    expect(windowRequest(40, 50, 100, 500, 1, -2.5)).toEqual({ lo: 15, hi: 60, buckets: 2250 });
    expect(windowRequest(40, 50, 100, 500, 1, 0.5)).toEqual(windowRequest(40, 50, 100, 500, 1));
  });
  it("a drag's speed sets how far ahead, capped; stillness or a zoom resets it", () => {
    const m = new Motion();
    expect(m.ahead(0)).toBe(0);
    // 5 s windows moving 1 s per 16 ms: 62.5 s/s, 150 ms ahead = 9.4 s = 1.9 widths.
    for (let i = 0; i <= 10; i++) m.see(i * 16, 100 + i, 105 + i);
    expect(m.ahead(160)).toBeCloseTo(1.875, 3);
    // Leftwards, fast: capped.
    const left = new Motion();
    for (let i = 0; i <= 10; i++) left.see(i * 16, 500 - 10 * i, 520 - 10 * i);
    expect(left.ahead(160)).toBe(-MAX_AHEAD);
    // Slow moves need no more than the usual padding.
    const slow = new Motion();
    for (let i = 0; i <= 10; i++) slow.see(i * 16, 100 + 0.05 * i, 105 + 0.05 * i);
    expect(slow.ahead(160)).toBe(0);
    // A zoom (the width changes) and a pause both reset it.
    m.see(176, 110, 120);
    expect(m.ahead(176)).toBe(0);
    for (let i = 0; i <= 5; i++) m.see(200 + i * 16, 110 + 2 * i, 120 + 2 * i);
    expect(m.ahead(300)).not.toBe(0);
    expect(m.ahead(900)).toBe(0);
    // A jump (a click on the overview) is not a drag either.
    m.see(910, 500, 510);
    expect(m.ahead(910)).toBe(0);
  });
});

describe("choosing what the detail chart draws", () => {
  const chunk = (lo: number, hi: number, bucket: number, dt: number): Chunk => ({ lo, hi, bucket, dt, x: new Float64Array(0), ys: [] });
  it("the overview when it holds raw samples; else a good cached chunk; else a coarse one; else the overview", () => {
    const rawOverview = chunk(0, 100, 1, 0);
    const overview = chunk(0, 100, 100, 0.1);
    const cache = new ChunkCache(4);
    expect(chooseDetail(rawOverview, cache, 10, 20, 1000)).toEqual({ chunk: rawOverview, source: "detail" });
    expect(chooseDetail(overview, cache, 10, 20, 1000)).toEqual({ chunk: overview, source: "overview" });
    const coarse = chunk(0, 50, 10, 0.05);
    cache.add(coarse);
    expect(chooseDetail(overview, cache, 10, 20, 1000)).toEqual({ chunk: coarse, source: "coarse" });
    const fine = chunk(5, 25, 2, 0.01);
    cache.add(fine);
    expect(chooseDetail(overview, cache, 10, 20, 1000)).toEqual({ chunk: fine, source: "detail" });
    expect(chooseDetail(null, new ChunkCache(4), 0, 1, 100)).toEqual({ chunk: null, source: "overview" });
  });
});

/** A decimated chunk over [lo, hi] on the kernel's global columns of width `dt` (two points inside each). */
function ladder(lo: number, hi: number, dt: number): Chunk {
  const k0 = Math.floor(lo / dt);
  const k1 = Math.max(k0 + 1, Math.ceil(hi / dt));
  const x = Float64Array.from({ length: 2 * (k1 - k0) }, (_, i) => (k0 + (i >> 1) + (i & 1 ? 0.75 : 0.25)) * dt);
  return { lo, hi, bucket: 8, dt, x, ys: [x.map(Math.sin)] };
}

describe("the cache joins chunks of the same columns", () => {
  const dt = ladderWidth(-23); // a 10 s window 500 pixels wide
  it("a chunk next to a held one joins it; one that fills the gap between two joins all three", () => {
    const cache = new ChunkCache(4);
    cache.add(ladder(0, 10, dt));
    cache.add(ladder(20, 30, dt));
    expect(cache.size).toBe(2);
    const held = cache.add(ladder(8, 22, dt));
    expect(cache.size).toBe(1);
    expect(held).toMatchObject({ lo: 0, hi: 30, dt });
    expect(Array.from(held.x)).toEqual(Array.from(ladder(0, 30, dt).x));
    expect(cache.find(5, 25, 750)).toBe(held);
    expect(cache.add(held)).toBe(held); // held already: only the recency changes
  });
  it("other columns, raw chunks, and chunks inside one another are held side by side", () => {
    const cache = new ChunkCache(4);
    cache.add(ladder(0, 10, dt));
    cache.add(ladder(5, 15, ladderWidth(-22)));
    cache.add({ ...ladder(5, 15, dt), bucket: 1, dt: 0 });
    cache.add(ladder(2, 8, dt));
    expect(cache.size).toBe(4);
    expect(cache.all().map((c) => [c.lo, c.hi])).toEqual([
      [2, 8],
      [5, 15],
      [5, 15],
      [0, 10],
    ]);
  });
});

describe("on a slow link the neighbours are the margins the cache lacks", () => {
  const dt = ladderWidth(-23);
  const slow = { neighbours: 0.5, zoom: 1, slow: true };
  it("asks for the margins beyond the held chunk at its columns, not for the window again", () => {
    const cache = new ChunkCache();
    cache.add(ladder(60, 70, dt));
    cache.add(ladder(60, 70, dt / 4)); // a finer copy: margins at its columns would cost four times the bytes
    expect(prefetchPlan(cache, 60, 70, 100, 500, slow)).toEqual([
      { lo: 55, hi: 60, buckets: 247 },
      { lo: 70, hi: 75, buckets: 247 },
    ]);
    // A fast link: the padded window, as before.
    expect(prefetchPlan(cache, 60, 70, 100, 500, { ...slow, slow: false })).toEqual([{ lo: 55, hi: 75, buckets: 1000 }]);
  });
  it("skips a margin that is held, or beyond the data, or covered by the chunk", () => {
    const cache = new ChunkCache();
    cache.add(ladder(60, 70, dt));
    cache.add(ladder(70, 76, ladderWidth(-24))); // the right margin, at other columns
    expect(prefetchPlan(cache, 60, 70, 100, 500, slow)).toEqual([{ lo: 55, hi: 60, buckets: 247 }]);
    const start = new ChunkCache();
    start.add(ladder(0, 10, dt));
    expect(prefetchPlan(start, 0, 10, 100, 500, slow)).toEqual([{ lo: 10, hi: 15, buckets: 247 }]);
    const wide = new ChunkCache();
    wide.add(ladder(40, 70, dt)); // reaches far to the left already
    expect(prefetchPlan(wide, 60, 70, 100, 500, slow)).toEqual([{ lo: 70, hi: 75, buckets: 247 }]);
  });
  it("asks for the padded window when the held chunk's columns are not the kernel's", () => {
    const cache = new ChunkCache();
    cache.add(chunk(60, 70, 500)); // dt 0.02: off the ladder
    expect(prefetchPlan(cache, 60, 70, 100, 500, slow)).toEqual([{ lo: 55, hi: 75, buckets: 1000 }]);
  });
});
