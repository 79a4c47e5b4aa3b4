import { describe, expect, it } from "vitest";
import { ChunkCache, goodEnough, MAX_BUCKETS, secondsPerBucket, windowRequest, type Chunk } from "../detail";

function chunk(lo: number, hi: number, buckets: number, bucket = 10): Chunk {
  const x = new Float64Array(buckets * 2);
  for (let k = 0; k < buckets; k++) {
    x[2 * k] = lo + ((hi - lo) * k) / buckets;
    x[2 * k + 1] = lo + ((hi - lo) * (k + 1)) / buckets;
  }
  return { lo, hi, bucket, x, ys: [new Float32Array(buckets * 2)] };
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
