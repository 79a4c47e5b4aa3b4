/**
 * The kernel's `detail` reply as the request-level tests need it: `buckets`
 * columns of two points each over the request's window (values zero); a model
 * whose kernel answers detail requests after a delay (timedKernel); and a
 * seeded random sequence (rand).
 */

import type { AnyModel } from "@anywidget/types";
import { ModelState } from "../state";

/** A kernel's reply (header and buffers) to detail request `msg`. */
export type Reply = (msg: Record<string, unknown>) => [Record<string, unknown>, DataView[]];

/**
 * A model of `span` seconds (default 100) whose kernel answers each detail request with
 * `reply(msg)` after `delayMs(bytes)` ms (use fake timers), and what the front end sent.
 */
export function timedKernel(reply: Reply, delayMs: (bytes: number) => number, span = 100): { st: ModelState; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  const traits: Record<string, unknown> = {
    _meta: { span },
    _overview: { x0: 0, x: new DataView(new Float32Array([0, 50, 50, 100]).buffer), ys: [new DataView(new Float32Array([0, 1, 1, 0]).buffer)], dtypes: ["float32"], bucket: 1000, dt: 50 },
  };
  let st: ModelState | null = null;
  const model = {
    get: (k: string) => traits[k],
    send: (msg: Record<string, unknown>) => {
      sent.push(msg);
      const [header, buffers] = reply(msg);
      const bytes = buffers.reduce((n, b) => n + b.byteLength, 0);
      setTimeout(() => st!.onMessage(header, buffers), delayMs(bytes));
    },
  } as unknown as AnyModel;
  st = new ModelState(model);
  return { st, sent };
}

/** A seeded pseudo-random sequence in [0, 1) (mulberry32): the same numbers every run. */
export function rand(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
