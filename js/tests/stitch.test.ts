import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Chunk } from "../detail";
import { IDLE_MS } from "../link";
import { bucketsFor, columnWidth, joinChunks, ladderWidth, MIN_PART_BUCKETS, missingRequests, partRequest } from "../stitch";
import { KERNEL_MS_FIELD, MAX_DETAIL_BUCKETS } from "../wire";
import { rand, timedKernel } from "./fake-detail";

/** Relative seconds of the fake data; columns wholly inside GAP hold no samples. */
const SPAN = 100;
const GAP = [41, 43.5];
/** The outer raw points lie this far beyond a reply's first and last column edges. */
const OUTER = 0.0005;

/** Value of channel `c` at slot `j` (0..3) of column k of width dt: one table for every reply. */
const cell = (c: number, k: number, j: number, dt: number) => (c + 1) * Math.sin(k * dt * 0.37 + j) + j;
/** Value of channel `c` at raw time t. */
const rawValue = (c: number, t: number) => (c + 1) * Math.cos(t * 1.3);

/**
 * The chunk a kernel over the fake data sends for {lo, hi, buckets}: columns of
 * width columnWidth(hi - lo, buckets) on the global grid, four points per
 * non-empty column (inside it), and a raw point beyond the first and the last
 * column edge.
 */
function gridChunk(lo: number, hi: number, buckets: number, channels = 2): Chunk {
  const a = Math.max(lo, 0);
  const b = Math.min(hi, SPAN);
  const dt = columnWidth(b - a, Math.min(buckets, MAX_DETAIL_BUCKETS));
  const k0 = Math.floor(a / dt);
  const k1 = Math.max(k0 + 1, Math.ceil(b / dt));
  const xs: number[] = [];
  const vs: number[][] = Array.from({ length: channels }, () => []);
  const raw = (t: number) => {
    xs.push(t);
    vs.forEach((v, c) => v.push(rawValue(c, t)));
  };
  if (k0 * dt - OUTER >= 0) raw(k0 * dt - OUTER);
  for (let k = k0; k < k1; k++) {
    if (k * dt >= GAP[0] && (k + 1) * dt <= GAP[1]) continue;
    for (const [j, f] of [0.2, 0.2, 0.7, 0.7].entries()) {
      xs.push((k + f) * dt);
      vs.forEach((v, c) => v.push(cell(c, k, j, dt)));
    }
  }
  if (k1 * dt + OUTER < SPAN) raw(k1 * dt + OUTER);
  return { lo, hi, bucket: 8, dt, x: Float64Array.from(xs), ys: vs.map((v) => Float64Array.from(v)) };
}

/** The chunk of columns `dt` over [lo, hi] (asking for the buckets that give dt back). */
function at(lo: number, hi: number, dt: number, channels = 2): Chunk {
  const buckets = bucketsFor(Math.min(hi, SPAN) - Math.max(lo, 0), dt);
  if (buckets === null) throw new Error(`no buckets give ${dt} over ${lo}..${hi}`);
  const c = gridChunk(lo, hi, buckets, channels);
  expect(c.dt).toBe(dt);
  return c;
}

const plain = (c: Chunk | null) => c && { lo: c.lo, hi: c.hi, dt: c.dt, x: Array.from(c.x), ys: c.ys.map((y) => Array.from(y)) };


describe("joining chunks of the same columns", () => {
  it("gives, in either order, exactly the chunk one request over both would bring", () => {
    const r = rand(11);
    let checked = 0;
    for (let i = 0; i < 300; i++) {
      const dt = ladderWidth(-26 + Math.floor(r() * 12)); // 0.011 s .. 0.09 s
      const aLo = r() * 60;
      const aHi = aLo + 1 + r() * 15;
      // b starts inside a, at its end, or on a column edge of a.
      const pick = r();
      const bLo = pick < 0.15 ? aHi : pick < 0.3 ? Math.floor((aLo + (aHi - aLo) * r()) / dt) * dt : aLo + (aHi - aLo) * (0.01 + 0.98 * r());
      const bHi = aHi + 0.5 + r() * 15;
      if (!(bLo > aLo)) continue;
      const a = at(aLo, aHi, dt);
      const b = at(bLo, bHi, dt);
      const whole = plain(at(aLo, bHi, dt));
      expect(plain(joinChunks(a, b)), `${aLo}..${aHi} + ${bLo}..${bHi} at ${dt}`).toEqual(whole);
      expect(plain(joinChunks(b, a))).toEqual(whole);
      checked++;
    }
    expect(checked).toBeGreaterThan(250);
  });

  it("across empty columns (a gap in the data) and touching at a column edge", () => {
    const dt = ladderWidth(-20); // 0.03125 s, exact
    const a = at(38, 42, dt);
    const b = at(42, 46, dt); // starts inside the gap: its first columns are empty
    expect(plain(joinChunks(a, b))).toEqual(plain(at(38, 46, dt)));
    const c = at(20, 30, dt);
    const d = at(30, 35, dt); // 30 is the edge of column 960
    expect(plain(joinChunks(d, c))).toEqual(plain(at(20, 35, dt)));
  });

  it("cuts at the later chunk's first column edge: each column comes whole from one reply", () => {
    const dt = ladderWidth(-20);
    const a = at(10, 20, dt);
    const b = at(15.05, 25, dt); // 15.05 is inside column 481, whose edge C is 15.03125
    const C = Math.floor(b.lo / dt) * dt;
    const marked = { ...b, ys: b.ys.map((y) => y.map((v) => v + 1000)) };
    for (const j of [joinChunks(a, marked)!, joinChunks(marked, a)!]) {
      const fromB = Array.from(j.x, (_, i) => j.ys[0][i] > 500);
      expect(fromB).toEqual(Array.from(j.x, (t) => t >= C));
      expect(Array.from(j.x).filter((t) => t >= C && t < b.lo).length).toBeGreaterThan(0);
    }
  });

  it("refuses other columns, raw chunks, gaps, one inside the other, other channels, and too many points", () => {
    const dt = ladderWidth(-23);
    const a = at(10, 20, dt);
    expect(joinChunks(a, at(15, 25, ladderWidth(-22)))).toBeNull();
    expect(joinChunks(a, { ...at(15, 25, dt), bucket: 1 })).toBeNull();
    expect(joinChunks({ ...a, dt: 0 }, at(15, 25, dt))).toBeNull();
    expect(joinChunks(a, at(20.5, 25, dt))).toBeNull(); // a gap
    expect(joinChunks(a, at(12, 18, dt))).toBeNull(); // inside
    expect(joinChunks(a, at(10, 25, dt))).toBeNull(); // same start: a is inside
    expect(joinChunks(a, at(5, 20, dt))).toBeNull(); // same end
    expect(joinChunks(a, at(15, 25, dt, 3))).toBeNull();
    const b = at(15, 25, dt);
    expect(joinChunks(a, b, 100)).toBeNull();
    expect(joinChunks(a, b)).not.toBeNull();
  });

  it("keeps each channel's largest error, and the values' type where both agree", () => {
    const dt = ladderWidth(-23);
    const a = { ...at(10, 20, dt), approx: [0.1, 0] };
    const b = { ...at(15, 25, dt), approx: [0.05, 0.2] };
    expect(joinChunks(a, b)!.approx).toEqual([0.1, 0.2]);
    expect(joinChunks(a, { ...b, approx: undefined })!.approx).toEqual([0.1, 0]);
    expect(joinChunks({ ...a, approx: undefined }, { ...b, approx: undefined })!.approx).toBeUndefined();
    const f32 = (c: Chunk): Chunk => ({ ...c, ys: c.ys.map((y) => Float32Array.from(y)) });
    expect(joinChunks(f32(a), f32(b))!.ys[0]).toBeInstanceOf(Float32Array);
    expect(joinChunks(f32(a), b)!.ys[0]).toBeInstanceOf(Float64Array);
    expect(joinChunks(a, b)!.bucket).toBe(a.bucket);
  });
});

describe("the kernel's column widths, and asking for a given one", () => {
  it("mirrors decimate.py column_width (values from Python)", () => {
    const python: [number, number, number][] = [
      [10, 500, 0.018581361171917516],
      [30, 1500, 0.018581361171917516],
      [10, 2000, 0.004645340292979379],
      [3, 148, 0.018581361171917516],
      [0.1, 8, 0.011048543456039806],
      [0.001, 333, 2.6973983046972182e-6],
      [7.3, 1000, 0.0065695032441696445],
      [100, 7, 13.454342644059432],
      [3600, 8192, 0.42044820762685725],
      [86400, 1500, 53.81737057623773],
      [1e7, 333, 27554.493735033717],
      [1, 1, 1],
      [2.5, 0, 2.378414230005442],
      [0, 10, 0],
      [-1, 10, 0],
      [1e-9, 1000, 9.094947017729282e-13],
      [123456.789, 4321, 26.908685288118864],
    ];
    for (const [s, c, v] of python) expect(columnWidth(s, c), `${s} s, ${c} columns`).toBe(v);
    // 2 ** (n / 4) as Python's float ** gives it (JavaScript's ** is off by one unit in the last place for some n).
    const pow: [number, number][] = [
      [-61, 2.5662122047537674e-5],
      [-47, 0.0002903337683112112],
      [-30, 0.005524271728019903],
      [-23, 0.018581361171917516],
      [-22, 0.02209708691207961],
      [-13, 0.10511205190671431],
      [-5, 0.42044820762685725],
      [-2, 0.7071067811865476],
      [-1, 0.8408964152537145],
      [0, 1],
      [1, 1.189207115002721],
      [2, 1.4142135623730951],
      [3, 1.681792830507429],
      [6, 2.8284271247461903],
      [11, 6.727171322029716],
      [19, 26.908685288118864],
      [31, 215.2694823049509],
      [43, 1722.1558584396073],
    ];
    for (const [n, v] of pow) expect(ladderWidth(n), `2 ** (${n} / 4)`).toBe(v);
  });

  it("is the formula's rung for any width and count", () => {
    const r = rand(5);
    for (let i = 0; i < 2000; i++) {
      const seconds = 10 ** (-4 + 10 * r());
      const columns = 1 + Math.floor(r() * 9000);
      const raw = seconds / columns;
      const n = Math.floor(Math.log2(raw) * 4);
      const got = columnWidth(seconds, columns);
      expect(Math.abs(got / 2 ** (n / 4) - 1)).toBeLessThan(1e-15);
      expect(got).toBeLessThanOrEqual(raw);
      expect(got * 2 ** 0.25).toBeGreaterThan(raw);
    }
  });

  it("chooses buckets that give a column width back exactly, for many widths on the ladder", () => {
    const r = rand(9);
    let n0 = 0;
    for (let n = -80; n < 60; n++) {
      const dt = ladderWidth(n);
      for (const m of [8, 8.3, 9, 13.7, 50, 123.4, 999, 4000, 8000, 8191, ...Array.from({ length: 20 }, () => 8 + r() * 8000)]) {
        const seconds = dt * m * 2 ** 0.125;
        const b = bucketsFor(seconds, dt);
        expect(b, `${seconds} s at ${dt}`).not.toBeNull();
        expect(b).toBeGreaterThanOrEqual(MIN_PART_BUCKETS);
        expect(columnWidth(seconds, b!)).toBe(dt);
        n0++;
      }
    }
    expect(n0).toBe(140 * 30);
    // Pairs checked with Python's column_width.
    expect(bucketsFor(3, 0.018581361171917516)).toBe(148);
    expect(bucketsFor(5, 0.018581361171917516)).toBe(247);
    expect(bucketsFor(13, 0.018581361171917516)).toBe(642);
  });

  it("refuses too few or too many columns, and a width off the ladder", () => {
    const dt = ladderWidth(-23);
    expect(bucketsFor(dt * 5, dt)).toBeNull();
    expect(bucketsFor(dt * 9000, dt)).toBeNull();
    expect(bucketsFor(10, 0.02)).toBeNull();
    expect(bucketsFor(0, dt)).toBeNull();
  });
});

describe("requests for the part of a window a chunk lacks", () => {
  const dt = ladderWidth(-23);
  const held = at(60, 70, dt);

  it("asks for the seconds beyond the chunk at its columns, widening a narrow part", () => {
    expect(partRequest(70, 73, held, SPAN)).toEqual({ lo: 70, hi: 73, buckets: 148 });
    expect(partRequest(57, 60, held, SPAN)).toEqual({ lo: 57, hi: 60, buckets: 148 });
    const least = MIN_PART_BUCKETS * dt * 2 ** (0.5 / 4);
    expect(partRequest(70, 70.01, held, SPAN)).toEqual({ lo: 70, hi: 70 + least, buckets: MIN_PART_BUCKETS });
    // At the data's end it widens into the held chunk instead (and still reaches beyond it).
    const end = at(90, 99.99, dt);
    const r = partRequest(99.99, 100, end, SPAN)!;
    expect(r.hi).toBe(100);
    expect(r.lo).toBeCloseTo(100 - least, 12);
    expect(r.buckets).toBe(MIN_PART_BUCKETS);
    // Too short a chunk to widen into, or columns off the ladder: no part request.
    expect(partRequest(0.05, 0.1, { ...held, lo: 0.1, hi: 0.2 }, SPAN)).toEqual({ lo: 0, hi: least, buckets: MIN_PART_BUCKETS });
    expect(partRequest(0.05, 0.1, { ...held, lo: 0.1, hi: 0.15 }, SPAN)).toBeNull();
    expect(partRequest(70, 73, { ...held, dt: 0.02 }, SPAN)).toBeNull();
  });

  it("on a slow link, for a window a chunk of its resolution overlaps: the parts beyond it", () => {
    expect(missingRequests([held], 63, 73, 500, SPAN)).toEqual([{ lo: 70, hi: 73, buckets: 148 }]);
    expect(missingRequests([held], 59, 71, 500, SPAN)).toEqual([
      { lo: 59, hi: 60, buckets: 49 },
      { lo: 70, hi: 71, buckets: 49 },
    ]);
    // Too coarse, much too fine, or not overlapping: asked for as today.
    expect(missingRequests([held], 63, 73, 2000, SPAN)).toBeNull();
    expect(missingRequests([held], 63, 73, 100, SPAN)).toBeNull();
    expect(missingRequests([held], 70, 80, 500, SPAN)).toBeNull();
    expect(missingRequests([{ ...held, bucket: 1, dt: 0 }], 63, 73, 500, SPAN)).toBeNull();
  });
});

/** The reply header and buffers of the fake kernel for request `msg` (exact layout, float32 times from 0). */
function gridReply(msg: Record<string, unknown>, buckets = Number(msg.buckets)): [Record<string, unknown>, DataView[]] {
  const c = gridChunk(Number(msg.lo), Number(msg.hi), buckets, 1);
  const header = { type: "detail", id: msg.id, error: null, bucket: c.bucket, dt: c.dt, x0: 0, dtypes: ["float64"], lo: msg.lo, hi: msg.hi, [KERNEL_MS_FIELD]: 0 };
  return [header, [new DataView(Float32Array.from(c.x).buffer), new DataView(Float64Array.from(c.ys[0]).buffer)]];
}

/**
 * A model whose kernel answers after `latency + bytes / bytesPerMs` ms with gridReply;
 * `answer` may change the buckets a request is answered with.
 */
function gridKernel(latency: number, bytesPerMs: number, answer: (msg: Record<string, unknown>) => number = (m) => Number(m.buckets)) {
  return timedKernel((msg) => gridReply(msg, answer(msg)), (bytes) => latency + bytes / bytesPerMs, SPAN);
}

const windows = (sent: Record<string, unknown>[]) => sent.map((m) => [m.lo, m.hi, m.buckets]);

/** The chunk one reply over [lo, hi] at `buckets` decodes to (float32 times, as the fake sends them). */
function decoded(lo: number, hi: number, buckets: number) {
  const c = gridChunk(lo, hi, buckets, 1);
  return { lo, hi, dt: c.dt, x: Array.from(Float32Array.from(c.x)), ys: [Array.from(c.ys[0])] };
}

describe("on a slow link, only what is missing is asked for", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const DT = ladderWidth(-23); // columns of a 10 s window 500 pixels wide

  /** A slow link (50 ms, 10 Mbit/s) holding window [60, 70] alone, just answered. */
  async function holdingWindow(answer?: (msg: Record<string, unknown>) => number) {
    const k = gridKernel(50, 1250, answer);
    k.st.want(10, 20, 500, 300);
    await vi.advanceTimersByTimeAsync(1000);
    expect(k.st.plan(500)).toMatchObject({ slow: true, neighbours: 0.5 });
    const before = k.sent.length;
    k.st.want(60, 70, 500, 300); // a jump: asked for at once, alone
    expect(windows(k.sent.slice(before))).toEqual([[60, 70, 500]]);
    await vi.advanceTimersByTimeAsync(100); // its reply; its prefetch waits for IDLE_MS
    expect(k.sent.length).toBe(before + 1);
    expect(k.st.cache.find(60, 70, 500)?.dt).toBe(DT);
    return { ...k, before: before + 1 };
  }

  it("a drag by 0.3 windows asks for the 0.3 windows it uncovered, and the window is drawn from the joined chunk", async () => {
    const { st, sent, before } = await holdingWindow();
    st.hold(true);
    st.want(63, 73, 500, 300);
    expect(sent.length).toBe(before);
    st.hold(false);
    expect(sent.slice(before)).toMatchObject([{ lo: 70, hi: 73, buckets: 148, compact: true, levels: 2400 }]);
    await vi.advanceTimersByTimeAsync(100);
    const drawn = st.cache.find(63, 73, 500);
    expect(plain(drawn)).toEqual(decoded(60, 73, bucketsFor(13, DT)!));
    // Nothing more for this window: only the neighbour beyond the joined chunk, once idle.
    await vi.advanceTimersByTimeAsync(2000);
    expect(windows(sent.slice(before))).toEqual([
      [70, 73, 148],
      [73, 78, 247],
    ]);
    expect(st.cache.find(60.5, 75.5, 625)).toMatchObject({ lo: 60, hi: 78 });
    st.dispose();
  });

  it("the neighbours are the margins beyond the held window, not the window again", async () => {
    const { st, sent, before } = await holdingWindow();
    await vi.advanceTimersByTimeAsync(IDLE_MS + 1000);
    expect(windows(sent.slice(before))).toEqual([
      [55, 60, 247],
      [70, 75, 247],
    ]);
    expect(sent.slice(before).every((m) => m.levels === 2400)).toBe(true);
    expect(plain(st.cache.find(55, 75, 1000))).toEqual(decoded(55, 75, bucketsFor(20, DT)!));
    // A drag within them is drawn from memory.
    st.want(57.5, 67.5, 500, 300);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.length).toBe(before + 2);
    st.dispose();
  });

  it("a small zoom out asks for both edges only", async () => {
    const { st, sent, before } = await holdingWindow();
    st.want(59, 71, 500, 300);
    await vi.advanceTimersByTimeAsync(30);
    expect(windows(sent.slice(before))).toEqual([
      [59, 60, 49],
      [70, 71, 49],
    ]);
    await vi.advanceTimersByTimeAsync(100);
    expect(st.cache.find(59, 71, 500)).toMatchObject({ lo: 59, hi: 71, dt: DT });
    st.dispose();
  });

  it("a part answered with other columns is kept on its own, and the window is asked for whole, once", async () => {
    // The kernel answers requests for [70, 73] at twice the columns asked for.
    const { st, sent, before } = await holdingWindow((m) => (m.lo === 70 && m.hi === 73 ? 2 * Number(m.buckets) : Number(m.buckets)));
    st.hold(true);
    st.want(63, 73, 500, 300);
    st.hold(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(windows(sent.slice(before))).toEqual([
      [70, 73, 148],
      [63, 73, 500],
    ]);
    await vi.advanceTimersByTimeAsync(100);
    expect(st.cache.find(63, 73, 500)).not.toBeNull();
    const n = sent.length;
    st.want(63, 73, 500, 300);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent.slice(n).every((m) => Number(m.hi) <= 63 || Number(m.lo) >= 73)).toBe(true);
    st.dispose();
  });

  it("on a fast link requests are as before: the padded window, no levels", async () => {
    const { st, sent } = gridKernel(2, 100_000);
    st.want(10, 20, 500, 300);
    await vi.advanceTimersByTimeAsync(200);
    expect(windows(sent)).toEqual([
      [10, 20, 500],
      [0, 30, 1500],
      [10, 20, 2000],
    ]);
    st.want(25, 35, 500, 300); // overlaps the held [0, 30]
    expect(windows(sent.slice(3))).toEqual([[15, 45, 1500]]);
    expect(sent.some((m) => "levels" in m)).toBe(false);
    st.dispose();
  });
});
