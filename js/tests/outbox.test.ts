import { describe, expect, it } from "vitest";
import type { PendingOp } from "../editops";
import { Outbox } from "../outbox";
import type { Op, Region } from "../regions";

const R = (id: string, start = 1, end = 2): Region => ({ id, start, end, label: "Run", channel: null, meta: {} });
const create = (id: string): Op => [{ before: null, after: R(id) }];
const stored = (seqs: number[]): PendingOp[] => seqs.map((seq) => ({ seq, id: `s${seq}`, region: null }));

describe("the outbox of pending ops", () => {
  it("numbers ops in sequence, each with its history step, and sends only persisted ones", () => {
    const box = new Outbox();
    const two: Op = [
      { before: null, after: R("a") },
      { before: R("b"), after: null },
    ];
    box.add(two, "do");
    expect(box.ops.map((o) => [o.seq, o.id, o.region?.id ?? null])).toEqual([
      [1, "a", "a"],
      [2, "b", null],
    ]);
    expect(box.top).toBe(2);
    expect(box.step(box.ops[1])).toEqual({ kind: "do", op: two });
    expect(box.nextBatch()).toBeNull();
    box.persisted(2);
    box.add(create("c"), "undo");
    expect(box.nextBatch()).toEqual({ client: box.client, ops: box.ops.slice(0, 2) });
    // persisted() never goes back.
    box.persisted(1);
    expect(box.nextBatch()!.ops).toHaveLength(2);
  });

  it("drops the ops picked, with their steps, and says how many", () => {
    const box = new Outbox();
    box.add(create("a"), "do");
    box.add(create("b"), "redo");
    const [a, b] = box.ops;
    expect(box.drop((o) => o.seq <= 1)).toBe(1);
    expect(box.ops).toEqual([b]);
    expect(box.step(a)).toBeUndefined();
    expect(box.drop(() => false)).toBe(0);
  });

  it("continues a stored client's sequence, its own ops after, when nothing of its own was sent", () => {
    const box = new Outbox();
    box.add(create("a"), "do");
    const ours = box.ops[0];
    expect(box.adopt("old", stored([4, 5]))).toBe(true);
    expect(box.client).toBe("old");
    expect(box.ops.map((o) => [o.seq, o.id])).toEqual([
      [4, "s4"],
      [5, "s5"],
      [6, "a"],
    ]);
    expect(box.ops[2]).toBe(ours);
    expect(box.recoveredCount).toBe(2);
    // The stored ops count as persisted: they may go at once, ours once written.
    expect(box.nextBatch()!.ops.map((o) => o.seq)).toEqual([4, 5]);
  });

  it("needs no new write when it adopts stored ops and has none of its own", () => {
    const box = new Outbox();
    expect(box.adopt("old", stored([2, 3]))).toBe(false);
    expect(box.top).toBe(3);
    expect(box.recoveredCount).toBe(2);
  });

  it("renumbers stored ops after its own once some of its own were offered", () => {
    const box = new Outbox();
    const client = box.client;
    box.add(create("a"), "do");
    box.persisted(1);
    box.nextBatch();
    const entry = stored([7]);
    expect(box.adopt("old", entry)).toBe(true);
    expect(box.client).toBe(client);
    expect(box.ops.map((o) => [o.seq, o.id])).toEqual([
      [1, "a"],
      [2, "s7"],
    ]);
    // The stored entry itself is left as it was.
    expect(entry[0].seq).toBe(7);
    expect(box.recoveredCount).toBe(1);
    expect(box.step(box.ops[1])).toBeUndefined();
  });
});
