import { describe, expect, it } from "vitest";
import { decodeChunk } from "../state";

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
