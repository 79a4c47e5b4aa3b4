/**
 * Requests to the kernel over custom messages.
 *
 * Every request is `{type, id, ...payload}`; the kernel answers with the same
 * `type` and `id`, an `error` field (null on success) and binary buffers. A
 * request that gets no answer within its timeout is rejected, so a lost reply
 * (a restarted kernel, say) never wedges the view.
 */

import type { BufferLike } from "./buffers";

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
}

export class RequestChannel {
  private nextId = 1;
  private pending = new Map<number, Pending>();

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
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.send({ type, id, ...payload });
      } catch (err) {
        this.timers.clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Route a message from the kernel; returns true when it answered a request of ours. */
  receive(msg: Record<string, unknown>, buffers: BufferLike[]): boolean {
    const id = msg.id;
    if (typeof id !== "number") return false;
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    this.timers.clearTimeout(p.timer);
    if (msg.error) p.reject(new ReplyError(msg));
    else p.resolve({ msg, buffers });
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
