import { describe, expect, it } from "vitest";
import { AHEAD_S, evictions, fragmentAt, fragmentSpan, nextFragment, type FragmentIndex } from "../msestream";

/** 100 one-second fragments of 1000 bytes after a 500-byte init segment. */
const index: FragmentIndex = {
  mime: 'video/mp4; codecs="avc1.64000d"',
  init: [0, 500],
  fragments: Array.from({ length: 100 }, (_, i) => [500 + i * 1000, 1500 + i * 1000, i] as [number, number, number]),
  duration: 100,
};

describe("streaming fragments", () => {
  it("finds the fragment holding a time, and each fragment's span", () => {
    expect(fragmentAt(index, 0)).toBe(0);
    expect(fragmentAt(index, 41.5)).toBe(41);
    expect(fragmentAt(index, 42)).toBe(42);
    expect(fragmentAt(index, 500)).toBe(99);
    expect(fragmentAt(index, -1)).toBe(0);
    expect(fragmentSpan(index, 99)).toEqual([99, 100]);
    expect(fragmentSpan(index, 3)).toEqual([3, 4]);
  });

  it("appends from the playhead forward, skipping what is buffered, up to AHEAD_S", () => {
    expect(nextFragment(index, 10.2, new Set())).toBe(10);
    expect(nextFragment(index, 10.2, new Set([10, 11]))).toBe(12);
    const all = new Set(Array.from({ length: AHEAD_S + 1 }, (_, i) => 10 + i));
    expect(nextFragment(index, 10.2, all)).toBeNull();
    expect(nextFragment(index, 99.5, new Set([99]))).toBeNull();
  });

  it("evicts whole fragments far behind or far ahead, never the one playing", () => {
    const appended = new Set([0, 1, 2, 49, 50, 51, 52, 95]);
    const { ranges, dropped } = evictions(index, 50.5, appended, 20, 20);
    expect(dropped.sort((a, b) => a - b)).toEqual([0, 1, 2, 95]);
    expect(ranges).toEqual([
      [0, 3],
      [95, 101],
    ]);
    // A fragment longer than the window behind is kept while it plays.
    const long: FragmentIndex = { ...index, fragments: [[500, 9000, 0], [9000, 9500, 60]], duration: 70 };
    expect(evictions(long, 50, new Set([0]), 20, 30)).toEqual({ ranges: [], dropped: [] });
  });
});
