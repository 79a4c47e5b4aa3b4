/**
 * Decoding a window from the kernel into a Chunk: the exact layout (float32
 * time offsets from a float64 origin, values in their wire dtype: the overview,
 * raw windows, a static page's tiles) and the compact one (compact.ts).
 */

import { asBytes, asTyped, type BufferLike, type Dtype, type NumArray } from "./buffers";
import { decodeCompact, decodePacked, isCompact, type CodeSpec, type CompactHeader, type Decoded } from "./compact";
import type { Chunk } from "./detail";
import { COMPACT } from "./wire";

/** The header of a raw window packed for a slow link (tsvideo_widget/rawcompact.py, layout "rawq"). */
export interface RawPackedHeader {
  x0: number;
  points: number;
  dtypes: Dtype[];
  /** Seconds between evenly spaced samples (their times are then `x0 + j * period`), or null: float32 offsets. */
  period: number | null;
  /** Per channel how its packed codes decode, or null for exact values. */
  codes: (CodeSpec | null)[];
}

/**
 * The samples of a packed raw window: times `x0 + j * period` (the kernel's own
 * arithmetic, which it checked) or from float32 offsets; values from packed codes
 * (compact.ts decodePacked, `approx` half a step) or exact.
 */
export function decodeRawPacked(h: RawPackedHeader, buffers: BufferLike[]): Decoded {
  if (buffers.length !== h.dtypes.length + 1) throw new Error(`expected ${h.dtypes.length + 1} buffers, got ${buffers.length}`);
  const n = h.points;
  const x = new Float64Array(n);
  if (h.period !== null) {
    for (let j = 0; j < n; j++) x[j] = h.x0 + j * h.period;
  } else {
    const off = asTyped(buffers[0], "float32");
    if (off.length !== n) throw new Error(`${off.length} times, ${n} declared`);
    for (let j = 0; j < n; j++) x[j] = h.x0 + off[j];
  }
  const ys: NumArray[] = [];
  const approx: number[] = [];
  h.codes.forEach((spec, c) => {
    if (spec) {
      ys.push(decodePacked(asBytes(buffers[c + 1]), spec, n));
      approx.push(spec.step / 2);
    } else {
      const arr = asTyped(buffers[c + 1], h.dtypes[c]);
      if (arr.length !== n) throw new Error(`channel ${c} has ${arr.length} values, ${n} declared`);
      ys.push(arr);
      approx.push(0);
    }
  });
  return { x, ys, approx };
}

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
  if (msg.layout === COMPACT.rawLayout) {
    const { x, ys, approx } = decodeRawPacked(msg as unknown as RawPackedHeader, buffers);
    return { lo, hi, bucket, dt, x, ys, approx };
  }
  return decodeChunk(lo, hi, bucket, dt, msg.dtypes as Dtype[], Number(msg.x0), buffers[0], buffers.slice(1));
}

/** Bytes a reply took on the wire, about: its buffers (base64 text is 4/3 of them) and a header. */
export function replyBytes(msg: Record<string, unknown>, buffers: BufferLike[]): number {
  const body = buffers.reduce((a, b) => a + b.byteLength, 0);
  return 400 + (Array.isArray(msg.b64) ? Math.ceil((body * 4) / 3) : body);
}
