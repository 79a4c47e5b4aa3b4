/**
 * Decoding a window from the kernel into a Chunk: the exact layout (float32
 * time offsets from a float64 origin, values in their wire dtype: the overview,
 * raw windows, a static page's tiles) and the compact one (compact.ts).
 */

import { asTyped, type BufferLike, type Dtype } from "./buffers";
import { decodeCompact, isCompact, type CompactHeader } from "./compact";
import type { Chunk } from "./detail";

/**
 * Decode a packed window into a Chunk: times arrive as float32 offsets from
 * the float64 origin `x0`, then one buffer per channel.
 */
export function decodeChunk(
  lo: number,
  hi: number,
  bucket: number,
  dt: number,
  dtypes: Dtype[],
  x0: number,
  x: BufferLike,
  ys: BufferLike[],
): Chunk {
  if (ys.length !== dtypes.length) throw new Error(`expected ${dtypes.length} channel buffers, got ${ys.length}`);
  const off = asTyped(x, "float32");
  const abs = new Float64Array(off.length);
  for (let i = 0; i < off.length; i++) abs[i] = x0 + off[i];
  return { lo, hi, bucket, dt, x: abs, ys: ys.map((b, i) => asTyped(b, dtypes[i])) };
}

/**
 * Decode a detail reply (its header `msg` and `buffers`) into a Chunk for window
 * [lo, hi], in either layout: compact (compact.ts; values may be approximate,
 * `approx` says by how much) or exact (decodeChunk).
 */
export function decodeReply(lo: number, hi: number, msg: Record<string, unknown>, buffers: BufferLike[]): Chunk {
  const bucket = Number(msg.bucket);
  const dt = Number(msg.dt ?? 0);
  if (isCompact(msg)) {
    const { x, ys, approx } = decodeCompact(msg as unknown as CompactHeader, buffers);
    return { lo, hi, bucket, dt, x, ys, approx };
  }
  return decodeChunk(lo, hi, bucket, dt, msg.dtypes as Dtype[], Number(msg.x0), buffers[0], buffers.slice(1));
}

/** Bytes a reply took on the wire, about: its buffers (base64 text is 4/3 of them) and a header. */
export function replyBytes(msg: Record<string, unknown>, buffers: BufferLike[]): number {
  const body = buffers.reduce((a, b) => a + b.byteLength, 0);
  return 400 + (Array.isArray(msg.b64) ? Math.ceil((body * 4) / 3) : body);
}
