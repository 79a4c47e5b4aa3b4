/**
 * The outbox of a pending-edit store: its ops the kernel has not acknowledged,
 * numbered in one client's sequence, each with the history step it came from
 * or marked as recovered from persistence. It numbers new ops, says which may
 * be sent (those persisted), drops what was answered, and adopts the ops an
 * earlier page or widget stored. No I/O and no events: pending.ts does those.
 */

import { toWireOps, type PendingOp } from "./editops";
import type { Batch } from "./delivery";
import { newClientId } from "./persist";
import type { Op } from "./regions";

export type Kind = "do" | "undo" | "redo";
/** The history step an op came from (taken back if the kernel refuses it). */
export interface Step {
  kind: Kind;
  op: Op;
}

export class Outbox {
  private list: PendingOp[] = [];
  private id = newClientId();
  private nextSeq = 1;
  /** Highest seq whose pending set is persisted (only those may be sent). */
  private persistedSeq = 0;
  /** Highest seq ever offered to the kernel under the current client. */
  private sentSeq = 0;
  private readonly steps = new Map<PendingOp, Step>();
  private readonly recovered = new Set<PendingOp>();

  /** The ops in sequence order. */
  get ops(): readonly PendingOp[] {
    return this.list;
  }

  /** The client whose sequence numbers the ops. */
  get client(): string {
    return this.id;
  }

  /** Highest seq given out so far. */
  get top(): number {
    return this.nextSeq - 1;
  }

  /** How many ops were recovered from persistence. */
  get recoveredCount(): number {
    return this.list.filter((o) => this.recovered.has(o)).length;
  }

  /** The history step `o` came from (none for a recovered op). */
  step(o: PendingOp): Step | undefined {
    return this.steps.get(o);
  }

  /** Number the ops that carry out `op`, from a `kind` step of the history. */
  add(op: Op, kind: Kind): void {
    const step = { kind, op };
    for (const w of toWireOps(op)) {
      const o: PendingOp = { seq: this.nextSeq++, ...w };
      this.list.push(o);
      this.steps.set(o, step);
    }
  }

  /** Drop the ops `gone` picks; returns how many. */
  drop(gone: (o: PendingOp) => boolean): number {
    const before = this.list.length;
    this.list = this.list.filter((o) => {
      if (!gone(o)) return true;
      this.steps.delete(o);
      this.recovered.delete(o);
      return false;
    });
    return before - this.list.length;
  }

  /** The ops up to `top` are persisted: they may be sent. */
  persisted(top: number): void {
    this.persistedSeq = Math.max(this.persistedSeq, top);
  }

  /** The persisted pending ops, as the next message. */
  nextBatch(): Batch | null {
    const ops = this.list.filter((o) => o.seq <= this.persistedSeq);
    if (ops.length === 0) return null;
    this.sentSeq = Math.max(this.sentSeq, ops[ops.length - 1].seq);
    return { client: this.id, ops };
  }

  /**
   * Adopt `stored`, the ops `client` numbered (not empty, not ours). Returns
   * true when the set must be persisted again before the adopted ops are sent.
   */
  adopt(client: string, stored: readonly PendingOp[]): boolean {
    const found = stored.map((o) => ({ ...o }));
    if (this.list.every((o) => o.seq > this.sentSeq)) {
      // Nothing of ours reached the kernel: continue the stored client's sequence, ours after it.
      const own = this.list;
      this.id = client;
      this.list = found;
      this.nextSeq = found[found.length - 1].seq + 1;
      this.persistedSeq = this.nextSeq - 1;
      this.sentSeq = 0;
      for (const o of own) {
        o.seq = this.nextSeq++;
        this.list.push(o);
      }
    } else {
      for (const o of found) this.list.push({ ...o, seq: this.nextSeq++ });
    }
    for (const o of this.list) if (!this.steps.has(o)) this.recovered.add(o);
    return this.list.length > found.length || this.persistedSeq < this.nextSeq - 1;
  }
}
