/**
 * Decoding binary buffers that arrive from the kernel.
 *
 * Buffers come as DataView (ipywidgets), ArrayBuffer or a typed-array view; a
 * view may start anywhere inside a larger message buffer, so byteOffset is
 * always honoured, and a misaligned view is copied (typed arrays need their
 * offset to be a multiple of the element size).
 */

export type BufferLike = DataView | ArrayBuffer | ArrayBufferView;
export type Dtype = "float32" | "float64" | "int16" | "uint16" | "int8" | "uint8";
export type NumArray = Float32Array | Float64Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
} as const;

function parts(b: BufferLike): [ArrayBuffer, number, number] {
  if (b instanceof ArrayBuffer) return [b, 0, b.byteLength];
  return [b.buffer as ArrayBuffer, b.byteOffset, b.byteLength];
}

/** View (or aligned copy) of a buffer as a typed array of the given dtype. */
export function asTyped(b: BufferLike, dtype: Dtype): NumArray {
  const [buf, off, len] = parts(b);
  const Ctor = CTORS[dtype];
  if (!Ctor) throw new Error(`unknown dtype ${String(dtype)}`);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (len % size !== 0) {
    throw new Error(`buffer of ${len} bytes is not a whole number of ${dtype} values`);
  }
  if (off % size === 0) return new Ctor(buf, off, len / size);
  // Misaligned: copy the bytes into a fresh, aligned buffer.
  const copy = new Uint8Array(len);
  copy.set(new Uint8Array(buf, off, len));
  return new Ctor(copy.buffer, 0, len / size);
}

/** A buffer as a float64 array (times travel as float64). */
export function asFloat64(b: BufferLike): Float64Array {
  return asTyped(b, "float64") as Float64Array;
}

/** The bytes of a buffer as a Uint8Array view (no copy). */
export function asBytes(b: BufferLike): Uint8Array {
  const [buf, off, len] = parts(b);
  return new Uint8Array(buf, off, len);
}

/** True for what binary buffers arrive as (DataView, ArrayBuffer or a typed array). */
export function isBufferLike(b: unknown): b is BufferLike {
  return b instanceof ArrayBuffer || ArrayBuffer.isView(b);
}

/** Byte length of a buffer. */
export function byteLength(b: BufferLike): number {
  return b.byteLength;
}

/** Bytes of base64 text, as a DataView (what binary buffers in a live model are). */
export function fromBase64(text: string): DataView {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new DataView(bytes.buffer);
}

/** `value` with every `{"__b64__": text}` replaced by its bytes (a DataView); the rest unchanged. */
export function decodeBase64Tree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeBase64Tree);
  if (value && typeof value === "object" && !isBufferLike(value)) {
    const obj = value as Record<string, unknown>;
    if (typeof obj.__b64__ === "string" && Object.keys(obj).length === 1) return fromBase64(obj.__b64__);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decodeBase64Tree(v)]));
  }
  return value;
}

/**
 * uPlot draws a gap only at `null`; NaN would be joined over. Return the array
 * itself when it has no NaN, else a plain array with null at every NaN.
 */
export function withGaps(a: NumArray): NumArray | (number | null)[] {
  let hasNaN = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== a[i]) {
      hasNaN = true;
      break;
    }
  }
  if (!hasNaN) return a;
  const out: (number | null)[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] !== a[i] ? null : a[i];
  return out;
}
