/**
 * A stand-in for anywidget's model (after lonboard's fake-widget-model):
 * traits in a plain object, change events, custom messages both ways, and a
 * count of listeners so tests can check that views remove exactly theirs.
 */

import type { AnyModel } from "@anywidget/types";

// Any callback shape: each event passes its own arguments.
type Handler = (...args: never[]) => void;

export class FakeModel {
  readonly sent: Record<string, unknown>[] = [];
  /** When set, send() throws it (a dead comm). */
  sendError: Error | null = null;
  saves = 0;
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(readonly traits: Record<string, unknown> = {}) {}

  get(key: string): unknown {
    return this.traits[key];
  }

  /** Set a trait as the kernel would: the value changes and change:key fires. */
  set(key: string, value: unknown): void {
    this.traits[key] = value;
    this.fire(`change:${key}`);
  }

  save_changes(): void {
    this.saves++;
  }

  on(name: string, fn: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)!.add(fn);
  }

  off(name: string, fn?: Handler): void {
    if (!fn) throw new Error(`off(${name}) without its callback would drop every view's listener`);
    this.handlers.get(name)?.delete(fn);
  }

  send(msg: Record<string, unknown>): void {
    if (this.sendError) throw this.sendError;
    this.sent.push(msg);
  }

  /** A custom message from the kernel. */
  deliver(msg: Record<string, unknown>, buffers: unknown[] = []): void {
    this.fire("msg:custom", msg, buffers);
  }

  listeners(name: string): number {
    return this.handlers.get(name)?.size ?? 0;
  }

  /** The messages of one type sent so far. */
  sentOf(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }

  asModel(): AnyModel {
    return this as unknown as AnyModel;
  }

  private fire(name: string, ...args: unknown[]): void {
    for (const fn of [...(this.handlers.get(name) ?? [])]) (fn as (...a: unknown[]) => void)(...args);
  }
}

/** Manual timers for the `Timers` seam: time moves only when a test says so. */
export function manualTimers() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers = {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h: unknown) => void due.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const first = [...due].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!first) break;
      due.delete(first[0]);
      now = first[1].at;
      first[1].fn();
    }
    now = end;
  };
  return { timers, advance, pending: () => due.size };
}

/** Let promise callbacks (persistence, replies) run. */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
