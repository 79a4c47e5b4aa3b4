/**
 * The kernel's `detail` reply as the request-level tests need it: `buckets`
 * columns of two points each over the request's window (values zero).
 */

/** The reply header and buffers to request `msg`, with `extra` fields in the header. */
export function detailReply(msg: Record<string, unknown>, extra: Record<string, unknown> = {}): [Record<string, unknown>, DataView[]] {
  const lo = Number(msg.lo);
  const hi = Number(msg.hi);
  const cols = Number(msg.buckets);
  const x = new Float32Array(2 * cols);
  for (let k = 0; k < cols; k++) {
    x[2 * k] = ((hi - lo) * k) / cols;
    x[2 * k + 1] = ((hi - lo) * (k + 0.9)) / cols;
  }
  const y = new Float32Array(2 * cols);
  const header = { type: "detail", id: msg.id, error: null, bucket: 8, dt: (hi - lo) / cols, x0: lo, dtypes: ["float32"], ...extra };
  return [header, [new DataView(x.buffer), new DataView(y.buffer)]];
}
