import { describe, expect, it } from "vitest";
import { float32Text, formatValue } from "../valuefmt";

describe("legend values", () => {
  it("shows exact values at the precision the kernel holds them", () => {
    expect(formatValue(Math.fround(0.1), { approx: 0, float32: true })).toBe("0.1");
    expect(formatValue(Math.fround(-1234.5678), { approx: 0, float32: true })).toBe("-1234.5677");
    expect(formatValue(0.1 + 0.2, { approx: 0, float32: false })).toBe("0.30000000000000004");
    expect(formatValue(-7, { approx: 0, float32: false })).toBe("-7");
    expect(float32Text(Math.fround(3.4e38))).toBe("3.4e+38");
  });

  it("marks quantized values approximate, to the digits their error leaves", () => {
    expect(formatValue(12.3456789, { approx: 0.000122, float32: false })).toBe("≈12.3457");
    expect(formatValue(1234.56, { approx: 0.5, float32: true })).toBe("≈1235");
    expect(formatValue(1e-7, { approx: 1e-12, float32: false })).toBe("≈0.000000100000");
  });

  it("shows a gap as --", () => {
    expect(formatValue(null, { approx: 0, float32: false })).toBe("--");
    expect(formatValue(NaN, { approx: 0.1, float32: false })).toBe("--");
  });
});
