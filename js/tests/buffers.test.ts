import { describe, expect, it } from "vitest";
import { asBytes, asFloat64, asTyped, withGaps } from "../buffers";

describe("buffer decoding", () => {
  it("honours byteOffset of a DataView into a larger buffer", () => {
    const whole = new Float64Array([99, 1.5, 2.5, 3.5, 99]);
    const view = new DataView(whole.buffer, 8, 24);
    expect(Array.from(asFloat64(view))).toEqual([1.5, 2.5, 3.5]);
  });

  it("copies a misaligned view instead of throwing", () => {
    const src = new Float32Array([1.25, -2, 3e-7]);
    const bytes = new Uint8Array(3 + src.byteLength);
    bytes.set(new Uint8Array(src.buffer), 3);
    const view = new DataView(bytes.buffer, 3, src.byteLength);
    expect(Array.from(asTyped(view, "float32"))).toEqual(Array.from(src));
  });

  it("accepts an ArrayBuffer and typed views", () => {
    const a = new Float64Array([4, 5]);
    expect(Array.from(asFloat64(a.buffer))).toEqual([4, 5]);
    expect(Array.from(asTyped(new Uint8Array(a.buffer, 8, 8), "float64"))).toEqual([5]);
  });

  it("reads small integers as themselves, honouring byteOffset", () => {
    const whole = new Int16Array([7, -32768, 12, 32767, 7]);
    expect(Array.from(asTyped(new DataView(whole.buffer, 2, 6), "int16"))).toEqual([-32768, 12, 32767]);
    expect(Array.from(asTyped(new Uint8Array([1, 255]), "uint8"))).toEqual([1, 255]);
    expect(() => asTyped(new DataView(new ArrayBuffer(4)), "int64" as never)).toThrow(/unknown dtype/);
  });

  it("rejects a buffer that is not whole values", () => {
    expect(() => asTyped(new DataView(new ArrayBuffer(10)), "float64")).toThrow(/whole number/);
  });

  it("views bytes without copying", () => {
    const buf = new Uint8Array([1, 2, 3, 4, 5]);
    const v = asBytes(new DataView(buf.buffer, 1, 3));
    expect(Array.from(v)).toEqual([2, 3, 4]);
    buf[2] = 9;
    expect(v[1]).toBe(9);
  });

  it("turns NaN into null gaps for uPlot, and leaves clean arrays alone", () => {
    const clean = new Float32Array([1, 2]);
    expect(withGaps(clean)).toBe(clean);
    expect(withGaps(new Float64Array([1, NaN, 3]))).toEqual([1, null, 3]);
  });
});
