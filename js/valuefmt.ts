/**
 * Values as the detail chart's legend shows them: exact values at the
 * precision the kernel holds them, approximate ones (a compact reply's
 * quantized values; compact.ts) marked "≈" and shown to the digits their
 * error allows. Zooming in until the kernel sends raw samples shows them exact.
 */

/** How the values a legend reads were sent: their largest error (0: exact), and whether they are float32. */
export interface ValueKind {
  approx: number;
  float32: boolean;
}

/** The shortest decimal text that reads back as the same float32. */
export function float32Text(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const t = Number(v.toPrecision(p));
    if (Math.fround(t) === v) return String(t);
  }
  return String(v);
}

/**
 * The legend's text for value `v` of that `kind`: "--" for a gap, the exact
 * value (float32 values shortest as float32, the rest as JavaScript's shortest
 * round-trip text), or "≈" and the value to the decimals its error leaves
 * meaningful (an error of 0.0001 keeps four).
 */
export function formatValue(v: number | null | undefined, kind: ValueKind): string {
  if (v == null || Number.isNaN(v)) return "--";
  if (!(kind.approx > 0)) return kind.float32 ? float32Text(v) : String(v);
  const digits = Math.min(15, Math.max(0, Math.ceil(-Math.log10(2 * kind.approx))));
  return `≈${v.toFixed(digits)}`;
}
