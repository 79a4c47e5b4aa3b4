/**
 * Region edits the kernel has not acknowledged yet, for one model (shared by
 * all its views), with the undo history they come from.
 *
 * An edit becomes numbered ops (put a region by id, or remove one), kept in
 * an outbox (outbox.ts); views draw the kernel's `regions` with the pending
 * ops applied on top. Each change of the pending set is written to
 * persistence before anything is sent, so an edit survives a closed tab or a
 * dead kernel and is delivered by the next widget on the same `_store_key`.
 * delivery.ts sends them as `edit` requests and retries; re-sending is safe
 * because the kernel applies each (client, seq) once. An acknowledged op is
 * dropped; a refused message is dropped whole, its error reported and its
 * history steps taken back; without an answer everything stays pending.
 */

import type { AnyModel } from "@anywidget/types";
import { kernelRegions, overlay } from "./editops";
import type { PendingPersistence } from "./persist";
import { History, type Op, type Region } from "./regions";
import { EditDelivery, type Batch } from "./delivery";
import { Outbox, type Kind } from "./outbox";
import { realTimers, withTimeout, type RequestChannel, type Timers } from "./requests";

/** Give up on a persistence call after this long (ms): a hung IndexedDB must not hold edits back. */
const PERSIST_TIMEOUT_MS = 3000;

/** What the save-status part shows. */
export interface EditStatus {
  /** Ops not yet acknowledged. */
  pending: number;
  /** How many of them were recovered from persistence. */
  recovered: number;
  /** The last attempt got no reply in time, or could not be sent. */
  notAnswering: boolean;
  /** The last write to persistence failed: edits live in this tab only. */
  memoryOnly: boolean;
  /** At least one edit was acknowledged. */
  saved: boolean;
}

/** Callbacks a view registers with subscribe(); each is optional. */
export interface EditListener {
  /** The pending set or the status changed: redraw. */
  change?(): void;
  /** The kernel refused a change from the browser; `text` names the culprit. */
  error?(text: string): void;
  /** The kernel acknowledged an edit. */
  accepted?(): void;
}

/** The pending-edit store of one model: see the module comment. */
export class PendingEdits {
  private readonly outbox = new Outbox();
  private key: string;
  private readonly delivery: EditDelivery;
  private queue: Promise<void> = Promise.resolve();
  private readonly history = new History();
  private readonly listeners = new Set<EditListener>();
  private notAnswering = false;
  private memoryOnly = false;
  private saved = false;
  private disposed = false;
  private version = 0;
  private memo: { base: unknown; version: number; regions: Region[] } | null = null;

  constructor(
    private readonly model: AnyModel,
    channel: RequestChannel,
    private readonly store: PendingPersistence,
    private readonly timers: Timers = realTimers,
  ) {
    this.delivery = new EditDelivery(channel, {
      next: () => this.outbox.nextBatch(),
      acknowledged: (b, seq) => this.acknowledged(b, seq),
      refused: (b, msg) => this.refused(b, msg),
      silent: (b) => this.silent(b),
    }, timers);
    this.key = this.readKey();
    if (this.key) this.recover(this.key);
  }

  // -- what views use ----------------------------------------------------------------------------

  /** The regions to draw: the kernel's, with the pending ops applied in order. */
  regions(): Region[] {
    const base = this.model.get("regions");
    let memo = this.memo;
    if (!memo || memo.base !== base || memo.version !== this.version) {
      memo = this.memo = { base, version: this.version, regions: overlay(kernelRegions(this.model), this.outbox.ops) };
    }
    return memo.regions.slice();
  }

  /** Make an edit (and record it for undo). */
  edit(op: Op): void {
    if (op.length === 0) return;
    this.history.push(op);
    this.add(op, "do");
  }

  undo(): void {
    const op = this.history.undo();
    if (op) this.add(op, "undo");
  }

  redo(): void {
    const op = this.history.redo();
    if (op) this.add(op, "redo");
  }

  get canUndo(): boolean {
    return this.history.canUndo;
  }

  get canRedo(): boolean {
    return this.history.canRedo;
  }

  status(): EditStatus {
    return {
      pending: this.outbox.ops.length,
      recovered: this.outbox.recoveredCount,
      notAnswering: this.notAnswering,
      memoryOnly: this.memoryOnly,
      saved: this.saved,
    };
  }

  /** Register a view's callbacks; returns the function that removes exactly them. */
  subscribe(listener: EditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kernel refused a state change from the browser (its unprompted `rejected` message). */
  reportRejected(text: string): void {
    this.emit("error", text);
    this.changed();
  }

  /** `_store_key` changed: move pending ops to the new key and recover what it holds. */
  storeKeyChanged(): void {
    const next = this.readKey();
    const old = this.key;
    if (next === old) return;
    this.key = next;
    if (old && this.outbox.ops.length) this.enqueue(() => this.guard(this.store.delete(old)).catch(() => undefined));
    if (next) this.recover(next);
    if (this.outbox.ops.length) this.persist();
  }

  /** Resolves when every persistence job queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  dispose(): void {
    this.disposed = true;
    this.delivery.close();
    this.listeners.clear();
  }

  // -- pending set ------------------------------------------------------------------------------

  private readKey(): string {
    const k = this.model.get("_store_key");
    return typeof k === "string" ? k : "";
  }

  private add(op: Op, kind: Kind): void {
    this.outbox.add(op, kind);
    this.changed();
    this.persist();
  }

  private changed(): void {
    this.version++;
    this.emit("change");
  }

  private emit(what: "change" | "accepted"): void;
  private emit(what: "error", text: string): void;
  private emit(what: keyof EditListener, text = ""): void {
    for (const l of [...this.listeners]) l[what]?.(text);
  }

  // -- persistence --------------------------------------------------------------------------------

  private enqueue(job: () => Promise<unknown>): void {
    this.queue = this.queue.then(job).then(
      () => undefined,
      () => undefined,
    );
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    return withTimeout(p, PERSIST_TIMEOUT_MS, "storage", this.timers);
  }

  private setMemoryOnly(on: boolean): void {
    if (on === this.memoryOnly) return;
    this.memoryOnly = on;
    this.emit("change");
  }

  /** Write the pending set as it is when the write's turn comes (delete it when empty); then send. */
  private persist(): void {
    const key = this.key;
    this.enqueue(async () => {
      const client = this.outbox.client;
      const top = this.outbox.top;
      if (key) {
        const ops = this.outbox.ops.map((o) => ({ ...o }));
        try {
          await this.guard(ops.length ? this.store.put(key, { client, ops, updated: Date.now() }) : this.store.delete(key));
          this.setMemoryOnly(false);
        } catch {
          this.setMemoryOnly(true);
        }
      }
      this.outbox.persisted(top);
      this.delivery.kick();
    });
  }

  /** Adopt the ops stored under `key` by an earlier page or widget. */
  private recover(key: string): void {
    this.enqueue(async () => {
      let entry;
      try {
        entry = await this.guard(this.store.get(key));
      } catch {
        this.setMemoryOnly(true);
        return;
      }
      if (this.disposed || key !== this.key || !entry || entry.ops.length === 0 || entry.client === this.outbox.client) return;
      const unpersisted = this.outbox.adopt(entry.client, entry.ops);
      this.changed();
      if (unpersisted) this.persist();
      else this.delivery.kick();
    });
  }

  // -- delivery ------------------------------------------------------------------------------------

  private acknowledged(batch: Batch, seq: number | null): boolean {
    if (batch.client !== this.outbox.client) return true;
    const acked = seq ?? batch.ops[batch.ops.length - 1].seq;
    const n = this.outbox.drop((o) => o.seq <= acked);
    this.notAnswering = false;
    if (n > 0) {
      this.saved = true;
      this.emit("accepted");
      this.persist();
    }
    this.changed();
    return batch.ops.every((o) => o.seq <= acked);
  }

  private refused(batch: Batch, msg: Record<string, unknown>): void {
    if (batch.client !== this.outbox.client) return;
    // Nothing of the message was applied (ops at or below `seq` were, earlier): take its steps back.
    const applied = Number(msg.seq);
    const steps = new Set(batch.ops.filter((o) => !(o.seq <= applied)).map((o) => this.outbox.step(o)));
    for (const s of [...steps].reverse()) if (s) this.history.revert(s.kind, s.op);
    const sent = new Set(batch.ops);
    this.outbox.drop((o) => sent.has(o));
    this.notAnswering = false;
    this.emit("error", String(msg.error));
    this.changed();
    this.persist();
  }

  private silent(batch: Batch): void {
    this.notAnswering = batch.client === this.outbox.client;
    this.emit("change");
  }
}
