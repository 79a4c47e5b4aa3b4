/**
 * Decoding the compact layout of decimated windows (tsvideo_widget/transport.py
 * `pack_compact`, layout "m4q"; `unpack` there is the same decoder in Python).
 *
 * Buffer 0 holds the times: float32 offsets from `x0` of the raw points beyond
 * the columns, then per non-empty column where its first and last samples lie
 * inside it (a byte each of FRAC_LEVELS, or nothing where the window is evenly
 * sampled: `t0 + j * period`), and a bit per column that holds seven points
 * (a channel meets NaN there) rather than four. Then one buffer per channel:
 * int16 codes on a power-of-two step above the window's minimum (`codes[i]`),
 * or codes of fewer bits when the request named its chart's `levels`
 * (decodePacked), or the channel's exact values (`codes[i]` null). See the
 * Python modules' docstrings for the error bounds (half a step: at most the
 * range / 65534 for int16 codes, the range / levels for packed ones).
 */

import { asBytes, asTyped, type BufferLike, type Dtype, type NumArray } from "./buffers";
import { COMPACT } from "./wire";

/**
 * How one quantized channel decodes: `ref + n * step`, n absolute (`c + 32767`) or
 * summed deltas; with `bits`, from packed codes of that many bits (decodePacked).
 */
export interface CodeSpec {
  mode: "abs" | "delta";
  ref: number;
  step: number;
  start: number;
  lo: number | null;
  hi: number | null;
  /** Bits per packed code (1..15; tsvideo_widget/codebits.py); absent for int16 codes. */
  bits?: number;
}

export interface CompactHeader {
  layout: string;
  x0: number;
  dt: number;
  points: number;
  dtypes: Dtype[];
  outer: [number, number];
  k0: number;
  ncols: number;
  m: number;
  gappy: number;
  dense: boolean;
  times: "frac" | "even";
  even?: { t0: number; period: number; rows: number };
  codes: (CodeSpec | null)[];
}

export interface Decoded {
  x: Float64Array;
  ys: NumArray[];
  /** Per channel the largest error of a value (half a step); 0 for exact values. */
  approx: number[];
}

/** True when a reply's header declares the compact layout. */
export function isCompact(msg: Record<string, unknown>): boolean {
  return msg.layout === COMPACT.layout;
}

/**
 * First row (from the row at `t0`, within 0..rows) at or after relative time
 * `edge`, for rows at `t0 + j * period`: the same float64 steps as the kernel's
 * `_even_rows`, which checked that they find every column's samples.
 */
export function evenRow(edge: number, t0: number, period: number, rows: number): number {
  let a = Math.ceil((edge - t0) / period);
  if (t0 + (a - 1) * period >= edge) a -= 1;
  else if (t0 + a * period < edge) a += 1;
  return Math.min(Math.max(a, 0), rows);
}

/** Float64 values of int16 `codes` (NaN where the code is COMPACT.nanCode). */
export function decodeValues(codes: Int16Array, spec: CodeSpec): Float64Array {
  const out = new Float64Array(codes.length);
  const nanCode = COMPACT.nanCode;
  const half = COMPACT.codeSpan / 2;
  let n = spec.start;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === nanCode) {
      out[i] = NaN;
      continue;
    }
    if (spec.mode === "delta") n += c;
    else n = c + half;
    out[i] = spec.ref + n * spec.step;
  }
  return out;
}

/**
 * Float64 values of `count` codes of `spec.bits` bits packed little-endian in
 * `bytes` (bit i of code j at bit j * bits + i; tsvideo_widget/codebits.py
 * `pack_bits`): `2 ** bits - 1` is NaN; absolute codes count steps above `ref`,
 * delta codes add `code - (2 ** (bits - 1) - 1)` to the running count from `start`.
 */
export function decodePacked(bytes: Uint8Array, spec: CodeSpec, count: number): Float64Array {
  const bits = spec.bits ?? 16;
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 24)) throw new Error(`bad packed code width ${bits}`);
  if (bytes.length * 8 < bits * count) throw new Error(`${bytes.length} bytes hold fewer than ${count} codes of ${bits} bits`);
  const out = new Float64Array(count);
  const mask = (1 << bits) - 1;
  const bias = (1 << (bits - 1)) - 1;
  const delta = spec.mode === "delta";
  let n = spec.start;
  for (let j = 0; j < count; j++) {
    const at = j * bits;
    const p = at >> 3;
    // Up to four bytes hold a code of at most 24 bits starting anywhere in a byte.
    const word = bytes[p] | ((bytes[p + 1] ?? 0) << 8) | ((bytes[p + 2] ?? 0) << 16) | ((bytes[p + 3] ?? 0) << 24);
    const u = (word >>> (at & 7)) & mask;
    if (u === mask) {
      out[j] = NaN;
      continue;
    }
    n = delta ? n + u - bias : u;
    out[j] = spec.ref + n * spec.step;
  }
  return out;
}

/** Little-endian bit `i` of `bytes` (numpy's packbits with bitorder="little"). */
function bit(bytes: Uint8Array, i: number): boolean {
  return ((bytes[i >> 3] >> (i & 7)) & 1) === 1;
}

/** The points of a compact reply: times (float64 relative seconds) and one array per channel. */
export function decodeCompact(h: CompactHeader, buffers: BufferLike[]): Decoded {
  if (buffers.length !== h.dtypes.length + 1) throw new Error(`expected ${h.dtypes.length + 1} buffers, got ${buffers.length}`);
  const [nb, na] = h.outer;
  const { m, ncols, dt, k0 } = h;
  const raw = asBytes(buffers[0]);
  const outerBytes = 4 * (nb + na);
  const outer = asTyped(raw.subarray(0, outerBytes), "float32");
  let p = outerBytes;
  const take = (n: number): Uint8Array => {
    if (p + n > raw.length) throw new Error(`the time buffer has ${raw.length} bytes, more were declared`);
    const out = raw.subarray(p, p + n);
    p += n;
    return out;
  };
  const tf = new Float64Array(m);
  const tl = new Float64Array(m);
  let gappy: Uint8Array | null = null;
  if (h.times === "even") {
    const { t0, period, rows } = h.even!;
    if (h.gappy) gappy = take((m + 7) >> 3);
    let j = 0;
    let a = evenRow(k0 * dt, t0, period, rows);
    for (let k = k0; k < k0 + ncols; k++) {
      const b = evenRow((k + 1) * dt, t0, period, rows);
      if (b > a) {
        if (j >= m) throw new Error("more non-empty columns than declared");
        tf[j] = t0 + a * period;
        tl[j] = t0 + (b - 1) * period;
        j++;
      }
      a = b;
    }
    if (j !== m) throw new Error(`${j} non-empty columns found, ${m} declared`);
  } else {
    const present = h.dense ? null : take((ncols + 7) >> 3);
    if (h.gappy) gappy = take((m + 7) >> 3);
    const qf = take(m);
    const ql = take(m);
    const levels = COMPACT.fracLevels;
    let j = 0;
    for (let c = 0; c < ncols && j < m; c++) {
      if (present && !bit(present, c)) continue;
      const k = k0 + c;
      tf[j] = (k + (qf[j] + 0.5) / levels) * dt;
      tl[j] = (k + (ql[j] + 0.5) / levels) * dt;
      j++;
    }
    if (j !== m) throw new Error(`${j} non-empty columns found, ${m} declared`);
  }
  const x = new Float64Array(h.points);
  let i = 0;
  for (let o = 0; o < nb; o++) x[i++] = h.x0 + outer[o];
  for (let j = 0; j < m; j++) {
    const seven = gappy !== null && bit(gappy, j);
    // Plain: [first, first, last, last]; gappy: [first x3, last x4] (decimate.py's slots).
    const nf = seven ? 3 : 2;
    const nl = seven ? 4 : 2;
    if (i + nf + nl > h.points - na) throw new Error("more column points than declared");
    for (let r = 0; r < nf; r++) x[i++] = tf[j];
    for (let r = 0; r < nl; r++) x[i++] = tl[j];
  }
  for (let o = nb; o < nb + na; o++) x[i++] = h.x0 + outer[o];
  if (i !== h.points) throw new Error(`${i} points decoded, ${h.points} declared`);
  const ys: NumArray[] = [];
  const approx: number[] = [];
  for (let c = 0; c < h.dtypes.length; c++) {
    const spec = h.codes[c];
    if (spec && spec.bits !== undefined) {
      ys.push(decodePacked(asBytes(buffers[c + 1]), spec, h.points));
      approx.push(spec.step / 2);
      continue;
    }
    const arr = asTyped(buffers[c + 1], h.dtypes[c]);
    if (arr.length !== h.points) throw new Error(`channel ${c} has ${arr.length} values, ${h.points} declared`);
    if (spec) {
      ys.push(decodeValues(arr as Int16Array, spec));
      approx.push(spec.step / 2);
    } else {
      ys.push(arr);
      approx.push(0);
    }
  }
  return { x, ys, approx };
}
