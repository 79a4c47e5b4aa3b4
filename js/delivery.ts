/**
 * Delivery of edit ops to the kernel: one `edit` message in flight at a time,
 * and after no reply (or a send that threw: the comm is gone) the same ops
 * again every EDIT_RETRY_MS until the kernel answers. What an answer means
 * for the pending set is the owner's business (see pending.ts).
 */

import type { PendingOp } from "./editops";
import { ReplyError, type RequestChannel, type Timers } from "./requests";
import { EDIT_MESSAGE, EDIT_RETRY_MS, EDIT_TIMEOUT_MS } from "./wire";

/** A message's worth of ops, numbered in `client`'s sequence. */
export interface Batch {
  client: string;
  ops: PendingOp[];
}

/** What the owner of the pending ops does with each outcome. */
export interface DeliveryHandlers {
  /** The ops to send now, or null when there are none. */
  next(): Batch | null;
  /** The kernel applied `batch` up to `seq` (null: it did not say). Returns false if part of it is still unapplied. */
  acknowledged(batch: Batch, seq: number | null): boolean;
  /** The kernel refused `batch`: `msg` is its reply (`error`, and `seq`, its last applied). */
  refused(batch: Batch, msg: Record<string, unknown>): void;
  /** No reply in time, or the message could not be sent. */
  silent(batch: Batch): void;
}

export class EditDelivery {
  private inflight = false;
  private retry: unknown = null;
  private closed = false;

  constructor(
    private readonly channel: RequestChannel,
    private readonly handlers: DeliveryHandlers,
    private readonly timers: Timers,
  ) {}

  /** Send what is pending, unless a message is in flight or a retry is already scheduled. */
  kick(): void {
    if (this.inflight || this.retry !== null || this.closed) return;
    const batch = this.handlers.next();
    if (!batch || batch.ops.length === 0) return;
    this.inflight = true;
    const ops = batch.ops.map((o) => ({ seq: o.seq, id: o.id, region: o.region && { ...o.region } }));
    this.channel.request(EDIT_MESSAGE, { client: batch.client, ops }, EDIT_TIMEOUT_MS).then(
      ({ msg }) => this.settle(() => {
        const seq = Number(msg.seq);
        // Answered without applying part of it: not straight away again.
        if (!this.handlers.acknowledged(batch, msg.seq == null || !Number.isFinite(seq) ? null : seq)) this.later();
      }),
      (err) => this.settle(() => {
        if (err instanceof ReplyError) this.handlers.refused(batch, err.msg);
        else {
          this.later();
          this.handlers.silent(batch);
        }
      }),
    );
  }

  /** Stop sending (the model is going away); a reply still on its way is ignored. */
  close(): void {
    this.closed = true;
    if (this.retry !== null) this.timers.clearTimeout(this.retry);
    this.retry = null;
  }

  private settle(handle: () => void): void {
    this.inflight = false;
    if (this.closed) return;
    handle();
    this.kick();
  }

  private later(): void {
    if (this.retry !== null) return;
    this.retry = this.timers.setTimeout(() => {
      this.retry = null;
      this.kick();
    }, EDIT_RETRY_MS);
  }
}
