/**
 * The kernel's side of the edit protocol, as specified (tsvideo_widget/wire.json
 * and the kernel's edit handler): per client, only ops with a seq above the
 * last applied one are applied, all of a message or none; `regions` is
 * updated before the reply.
 */

import type { Region } from "../regions";
import type { FakeModel } from "./fake-model";

interface WireOp {
  seq: number;
  id: string;
  region: Omit<Region, "meta"> | null;
}

export class FakeKernel {
  readonly last = new Map<string, number>();
  /** Returns the error for an op it refuses (null: valid). Default: label "Bad" is refused. */
  refuse: (op: WireOp) => string | null = (op) => (op.region?.label === "Bad" ? `region ${op.id}: label 'Bad' is not one of the labels` : null);

  constructor(private readonly model: FakeModel) {}

  /** Answer an edit message. */
  answer(msg: Record<string, unknown>): void {
    const client = String(msg.client);
    const last = this.last.get(client) ?? 0;
    const fresh = (msg.ops as WireOp[]).filter((o) => o.seq > last);
    for (const o of fresh) {
      const error = this.refuse(o);
      if (error) return this.model.deliver({ type: "edit", id: msg.id, error, seq: last });
    }
    if (fresh.length) {
      const regions = [...(this.model.get("regions") as Region[])];
      for (const o of fresh) {
        const i = regions.findIndex((r) => r.id === o.id);
        if (o.region === null) {
          if (i >= 0) regions.splice(i, 1);
        } else if (i >= 0) regions[i] = { ...o.region, meta: regions[i].meta };
        else regions.push({ ...o.region, meta: {} });
      }
      this.last.set(client, fresh[fresh.length - 1].seq);
      this.model.set("regions", regions);
    }
    this.model.deliver({ type: "edit", id: msg.id, error: null, seq: this.last.get(client) ?? 0 });
  }

  /** Answer the latest edit message sent. */
  answerLast(): void {
    const edits = this.model.sentOf("edit");
    this.answer(edits[edits.length - 1]);
  }
}
