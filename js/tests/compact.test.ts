import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { fromBase64 } from "../buffers";
import { decodeCompact, decodePacked, decodeValues, evenRow, isCompact, type CompactHeader } from "../compact";
import { decodeRawPacked, type RawPackedHeader } from "../decode";
import { decodeReply, ModelState, replyBytes } from "../state";
import { COMPACT } from "../wire";
import cases from "./compact-cases.json";

/** The kernel's replies and what tsvideo_widget/transport.py `unpack` decodes them to (tests/test_wire_compact.py). */
interface Case {
  name: string;
  header: Record<string, unknown>;
  buffers: string[];
  x: number[];
  ys: (number | string | null)[][];
}

const CASES = cases as unknown as Case[];

/** The JSON's stand-ins back to numbers: null is NaN, "inf" and "-inf" infinities. */
function num(v: number | string | null): number {
  if (v === null) return NaN;
  if (typeof v === "string") return v.startsWith("-") ? -Infinity : Infinity;
  return v;
}

/** `bytes` copied into a larger buffer at an odd offset, as a DataView (byteOffset must be honoured). */
function offsetView(bytes: DataView): DataView {
  const whole = new Uint8Array(bytes.byteLength + 7);
  whole.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 3);
  return new DataView(whole.buffer, 3, bytes.byteLength);
}

describe("the compact layout, decoded as the kernel's own decoder does", () => {
  for (const c of CASES) {
    it(`${c.name}: the same times and values, bit for bit`, () => {
      const h = c.header;
      // The M4 columns' layout, or (a slow link's raw windows) the packed raw one.
      expect(isCompact(h) || h.layout === COMPACT.rawLayout).toBe(true);
      const buffers = c.buffers.map((b) => offsetView(fromBase64(b)));
      const chunk = decodeReply(Number(h.lo), Number(h.hi), h, buffers);
      expect(Array.from(chunk.x)).toEqual(c.x);
      chunk.ys.forEach((y, i) => expect(Array.from(y)).toEqual(c.ys[i].map(num)));
      // Exact channels say so; quantized ones carry half their step.
      const codes = (h as unknown as CompactHeader).codes;
      expect(chunk.approx).toEqual(codes.map((s) => (s ? s.step / 2 : 0)));
      expect(chunk.dt).toBe(h.dt);
      // Every column's points lie inside the column, in order.
      for (let i = 1; i < chunk.x.length; i++) expect(chunk.x[i]).toBeGreaterThanOrEqual(chunk.x[i - 1]);
    });
  }

  it("refuses packed raw windows whose buffers do not match the header", () => {
    const c = CASES.find((k) => k.header.layout === COMPACT.rawLayout && k.header.period === null)!;
    const h = c.header as unknown as RawPackedHeader;
    const buffers = c.buffers.map(fromBase64);
    expect(decodeRawPacked(h, buffers).x.length).toBe(h.points);
    expect(() => decodeRawPacked({ ...h, points: h.points + 1 }, buffers)).toThrow(/times/);
    expect(() => decodeRawPacked(h, buffers.slice(0, 1))).toThrow(/buffers/);
  });

  it("refuses replies whose buffers do not match the header", () => {
    const c = CASES[0];
    const h = c.header as unknown as CompactHeader;
    const buffers = c.buffers.map(fromBase64);
    expect(() => decodeCompact({ ...h, points: h.points + 1 }, buffers)).toThrow(/points|values/);
    expect(() => decodeCompact(h, buffers.slice(0, 1))).toThrow(/buffers/);
    expect(() => decodeCompact({ ...h, m: h.m + 1 }, buffers)).toThrow();
  });

  it("decodes absolute and delta codes, NaN and constants", () => {
    const codes = new Int16Array([-32768, 0, 5, -3, -32768, 1]);
    expect(Array.from(decodeValues(codes, { mode: "delta", ref: 10, step: 0.5, start: 4, lo: 10, hi: 20 }))).toEqual([NaN, 12, 14.5, 13, NaN, 13.5]);
    const abs = new Int16Array([-32767, 32767, -32768]);
    expect(Array.from(decodeValues(abs, { mode: "abs", ref: -1, step: 0.25, start: 0, lo: -1, hi: 16382.5 }))).toEqual([-1, -1 + 65534 * 0.25, NaN]);
    expect(Array.from(decodeValues(new Int16Array([-32767, -32767]), { mode: "abs", ref: 2.5, step: 0, start: 0, lo: 2.5, hi: 2.5 }))).toEqual([2.5, 2.5]);
  });

  it("decodes packed codes of any width, little-endian, NaN as all ones", () => {
    // Codes 1, 2 and 7 (NaN) of 3 bits: bits 0-8 = 100 010 111 (tsvideo_widget/codebits.py pack_bits).
    const spec3 = { mode: "abs" as const, ref: 10, step: 0.5, start: 0, lo: 10, hi: 13.5, bits: 3 };
    expect(Array.from(decodePacked(new Uint8Array([0b1101_0001, 0b0000_0001]), spec3, 3))).toEqual([10.5, 11, NaN]);
    // A 12-bit code straddles two bytes, low bits first: 0xABC.
    const spec12 = { mode: "abs" as const, ref: 0, step: 1, start: 0, lo: 0, hi: 4095, bits: 12 };
    expect(Array.from(decodePacked(new Uint8Array([0xbc, 0x0a]), spec12, 1))).toEqual([0xabc]);
    // Delta codes of 2 bits are offset by 1: 1 -> +0, 2 -> +1, 0 -> -1; 3 is NaN and adds nothing.
    const d = { mode: "delta" as const, ref: 0, step: 2, start: 5, lo: 0, hi: 20, bits: 2 };
    expect(Array.from(decodePacked(new Uint8Array([0b11_00_10_01, 0b10]), d, 5))).toEqual([10, 12, 10, NaN, 12]);
    // A byte that does not hold the codes declared is refused, not read past.
    expect(() => decodePacked(new Uint8Array([1]), spec12, 1)).toThrow(/fewer than 1 codes/);
    // 15-bit codes at every bit offset.
    const vals = [0, 1, 32766, 12345, 77, 30000, 2, 32765, 5];
    const bits: number[] = [];
    for (const v of vals) for (let i = 0; i < 15; i++) bits.push((v >> i) & 1);
    const bytes = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((b, i) => (bytes[i >> 3] |= b << (i & 7)));
    const spec15 = { mode: "abs" as const, ref: 0, step: 1, start: 0, lo: 0, hi: 32766, bits: 15 };
    expect(Array.from(decodePacked(bytes, spec15, vals.length))).toEqual(vals);
  });

  it("finds evenly spaced rows on the kernel's edges, clamped to the rows sent", () => {
    expect(evenRow(0.0105, 0.01, 0.001, 100)).toBe(1);
    expect(evenRow(0.011, 0.01, 0.001, 100)).toBe(1); // a row exactly on the edge is at or after it
    expect(evenRow(-1, 0.01, 0.001, 100)).toBe(0);
    expect(evenRow(5, 0.01, 0.001, 100)).toBe(100);
  });

  it("counts a reply's bytes, base64 as 4/3 of them", () => {
    const b = [new DataView(new ArrayBuffer(300)), new DataView(new ArrayBuffer(600))];
    expect(replyBytes({}, b)).toBe(1300);
    expect(replyBytes({ b64: ["", ""] }, b)).toBe(1600);
  });
});

describe("the model state asks for compact replies and keeps their error", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends compact: true and caches the decoded chunk with its approx", async () => {
    const c = CASES[0];
    const sent: Record<string, unknown>[] = [];
    const traits: Record<string, unknown> = { _meta: { span: 3 }, _overview: { x0: 0, x: new DataView(new Float32Array([0, 3]).buffer), ys: [new DataView(new Float32Array([0, 1]).buffer)], dtypes: ["float32"], bucket: 1500, dt: 1.5 } };
    const model = { get: (k: string) => traits[k], send: (m: Record<string, unknown>) => sent.push(m) } as unknown as AnyModel;
    const st = new ModelState(model);
    st.want(0.5, 2.5, 40);
    expect(sent[0]).toMatchObject({ type: "detail", lo: 0.5, hi: 2.5, buckets: 40, compact: true });
    st.onMessage({ ...c.header, type: "detail", id: sent[0].id, error: null }, c.buffers.map(fromBase64));
    await vi.advanceTimersByTimeAsync(1);
    const chunk = st.cache.find(0.5, 2.5, 40);
    expect(chunk?.approx?.[0]).toBeGreaterThan(0);
    expect(st.link.count).toBe(1);
    st.dispose();
  });
});
