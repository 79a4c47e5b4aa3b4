/**
 * Requests to the kernel over custom messages.
 *
 * Every request is `{type, id, ...payload}`; the kernel answers with the same
 * `type` and `id`, an `error` field (null on success) and binary buffers. A
 * request that gets no answer within its timeout is rejected, so a lost reply
 * (a restarted kernel, say) never wedges the view.
 */

import { fromBase64, isBufferLike, type BufferLike } from "./buffers";

/** How buffers travel (the widget's `transport` trait; see tsvideo_widget/transport.py). */
export type Transport = "auto" | "binary" | "base64";

export interface Reply {
  msg: Record<string, unknown>;
  buffers: BufferLike[];
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global timers (the default everywhere a Timers is taken). */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** `p`, or a rejection naming `what` when it has not settled after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, timers: Timers = realTimers): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = timers.setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => (timers.clearTimeout(t), resolve(v)),
      (e) => (timers.clearTimeout(t), reject(e)),
    );
  });
}

/** The kernel answered with an error; `msg` is its whole reply (other fields may matter). */
export class ReplyError extends Error {
  constructor(readonly msg: Record<string, unknown>) {
    super(String(msg.error));
    this.name = "ReplyError";
  }
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
  timer: unknown;
  /** The request as sent (to ask again in base64 when its buffers did not arrive intact). */
  msg: Record<string, unknown>;
}

/**
 * Why a reply's binary buffers cannot be used, or null when they arrived
 * intact: the kernel declares their byte `sizes`; a host that drops buffers,
 * or hands them over as something else, fails this check.
 */
export function brokenBuffers(msg: Record<string, unknown>, buffers: unknown[]): string | null {
  const sizes = msg.sizes;
  if (!Array.isArray(sizes)) return null;
  if (buffers.length !== sizes.length) return `${sizes.length} binary buffers were sent, ${buffers.length} arrived`;
  for (let i = 0; i < sizes.length; i++) {
    const b = buffers[i];
    if (!isBufferLike(b)) return `binary buffer ${i} arrived as ${Object.prototype.toString.call(b)}`;
    if (b.byteLength !== sizes[i]) return `binary buffer ${i} has ${b.byteLength} bytes, ${String(sizes[i])} were sent`;
  }
  return null;
}

export class RequestChannel {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** "auto" switches to base64 text for good once binary buffers fail to arrive intact. */
  transport: Transport = "auto";
  /** Why binary buffers were given up (null while they work). */
  binaryBroken: string | null = null;

  constructor(
    private send: (msg: Record<string, unknown>) => void,
    private timeoutMs = 10000,
    private timers: Timers = realTimers,
  ) {}

  /** Send a request; resolves with the reply, rejects on an error reply or a timeout. */
  request(type: string, payload: Record<string, unknown> = {}, timeoutMs?: number): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type} request ${id} got no reply within ${timeoutMs ?? this.timeoutMs} ms`));
      }, timeoutMs ?? this.timeoutMs);
      const msg = { type, id, ...payload };
      this.pending.set(id, { resolve, reject, timer, msg });
      try {
        this.send(this.base64 ? { ...msg, b64: true } : msg);
      } catch (err) {
        this.timers.clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Route a message from the kernel; returns true when it answered a request of ours. */
  receive(msg: Record<string, unknown>, buffers: BufferLike[]): boolean {
    buffers = buffers ?? [];
    const id = msg.id;
    if (typeof id !== "number") return false;
    const p = this.pending.get(id);
    if (!p) return false;
    if (!msg.error && Array.isArray(msg.b64)) {
      buffers = (msg.b64 as unknown[]).map((t) => fromBase64(String(t)));
    } else if (!msg.error) {
      const broken = brokenBuffers(msg, buffers);
      if (broken !== null) return this.onBrokenBuffers(id, p, broken);
    }
    this.pending.delete(id);
    this.timers.clearTimeout(p.timer);
    if (msg.error) p.reject(new ReplyError(msg));
    else p.resolve({ msg, buffers });
    return true;
  }

  /** True when requests ask for base64 text instead of binary buffers. */
  get base64(): boolean {
    return this.transport === "base64" || (this.transport === "auto" && this.binaryBroken !== null);
  }

  /** Give up binary buffers (in "auto"): later requests, and this one again, ask for base64 text. */
  useBase64(reason: string): void {
    if (this.binaryBroken === null) this.binaryBroken = reason;
  }

  private onBrokenBuffers(id: number, p: Pending, reason: string): true {
    if (this.transport !== "auto") {
      this.pending.delete(id);
      this.timers.clearTimeout(p.timer);
      p.reject(new Error(`binary buffers did not arrive intact (${reason}); set the widget's transport = "base64"`));
      return true;
    }
    this.useBase64(reason);
    try {
      this.send({ ...p.msg, b64: true });
    } catch (err) {
      this.pending.delete(id);
      this.timers.clearTimeout(p.timer);
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return true;
  }

  /** Number of requests waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Reject everything still waiting (the view or model is going away). */
  close(): void {
    for (const [id, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new Error(`request ${id} cancelled`));
    }
    this.pending.clear();
  }
}

/**
 * Runs at most one job at a time; while one runs, only the latest pushed key
 * waits, older ones are dropped. This is the throttle for window refreshes:
 * a drag produces many windows, the kernel sees one request in flight and then
 * the newest window, never a queue.
 */
export class LatestOnly<K> {
  private running = false;
  private next: { key: K } | null = null;
  /** Most jobs that ever ran at once (1 unless the throttle is broken). */
  maxConcurrent = 0;
  private active = 0;

  constructor(private run: (key: K) => Promise<unknown>) {}

  push(key: K): void {
    if (this.running) {
      this.next = { key };
      return;
    }
    this.start(key);
  }

  get busy(): boolean {
    return this.running;
  }

  private start(key: K): void {
    this.running = true;
    this.active++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    const done = () => {
      this.active--;
      this.running = false;
      const n = this.next;
      this.next = null;
      if (n) this.start(n.key);
    };
    let p: Promise<unknown>;
    try {
      p = this.run(key);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(done, done);
  }
}
