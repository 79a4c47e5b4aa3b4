import { describe, expect, it } from "vitest";
import { PendingEdits } from "../pending";
import { MemoryPersistence, type PendingEntry, type PendingPersistence } from "../persist";
import type { Region } from "../regions";
import { RequestChannel } from "../requests";
import { EDIT_RETRY_MS, EDIT_TIMEOUT_MS } from "../wire";
import { FakeKernel } from "./fake-kernel";
import { FakeModel, manualTimers, settle } from "./fake-model";

const R = (id: string, start: number, end: number, label = "Run", meta: Record<string, unknown> = {}): Region => ({
  id,
  start,
  end,
  label,
  channel: null,
  meta,
});
const wire = (r: Region) => ({ id: r.id, start: r.start, end: r.end, label: r.label, channel: r.channel });

function setup(opts: { regions?: Region[]; key?: string; persistence?: PendingPersistence } = {}) {
  const model = new FakeModel({ regions: opts.regions ?? [], _store_key: opts.key ?? "" });
  const t = manualTimers();
  const channel = new RequestChannel((m) => model.send(m), 60000, t.timers);
  model.on("msg:custom", (msg) => channel.receive(msg as Record<string, unknown>, []));
  const persistence = opts.persistence ?? new MemoryPersistence();
  const store = new PendingEdits(model.asModel(), channel, persistence, t.timers);
  const errors: string[] = [];
  let accepted = 0;
  store.subscribe({ error: (e) => errors.push(e), accepted: () => accepted++ });
  const edits = () => model.sentOf("edit");
  const reply = (msg: Record<string, unknown>, extra: Record<string, unknown>) => model.deliver({ type: "edit", id: msg.id, error: null, ...extra });
  return { model, store, t, persistence, errors, edits, reply, kernel: new FakeKernel(model), accepted: () => accepted };
}

describe("pending edits on top of the kernel's regions", () => {
  it("shows edits at once and sends them as seq-numbered ops without meta", async () => {
    const a = R("a", 1, 2, "Run", { note: "kept" });
    const { store, edits } = setup({ regions: [a, R("z", 8, 9)] });
    store.edit([{ before: a, after: { ...a, start: 3, end: 4 } }]);
    store.edit([{ before: null, after: R("b", 5, 6, "Walk") }]);
    store.edit([{ before: R("z", 8, 9), after: null }]);
    expect(store.regions()).toEqual([R("a", 3, 4, "Run", { note: "kept" }), R("b", 5, 6, "Walk")]);
    expect(store.status().pending).toBe(3);
    await settle();
    // Edits made together travel together.
    expect(edits()).toEqual([
      {
        type: "edit",
        id: 1,
        client: expect.any(String),
        ops: [
          { seq: 1, id: "a", region: wire(R("a", 3, 4)) },
          { seq: 2, id: "b", region: wire(R("b", 5, 6, "Walk")) },
          { seq: 3, id: "z", region: null },
        ],
      },
    ]);
    const m = edits()[0];
    expect(m.client).not.toBe("");
  });

  it("an ack drops exactly the ops with seq <= the acknowledged one", async () => {
    const { store, edits, reply, t, accepted } = setup();
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    store.edit([{ before: null, after: R("b", 3, 4) }]);
    store.edit([{ before: null, after: R("c", 5, 6) }]);
    await settle();
    reply(edits()[0], { seq: 1 });
    await settle();
    expect(store.status().pending).toBe(2);
    expect(accepted()).toBe(1);
    // The next message carries both waiting ops, under the same client.
    const second = edits()[1];
    expect((second.ops as { seq: number }[]).map((o) => o.seq)).toEqual([2, 3]);
    expect(second.client).toBe(edits()[0].client);
    reply(second, { seq: 2 });
    await settle();
    expect(store.status().pending).toBe(1);
    expect(store.regions().map((r) => r.id)).toEqual(["c"]); // a and b are the kernel's now (it did not send them in this test)
    // The kernel answered without applying seq 3: not re-sent at once, but after the retry pause.
    expect(edits()).toHaveLength(2);
    t.advance(EDIT_RETRY_MS);
    expect(edits()).toHaveLength(3);
    expect((edits()[2].ops as { seq: number }[]).map((o) => o.seq)).toEqual([3]);
  });

  it("a refused message is dropped whole: its error surfaces and the kernel's state shows", async () => {
    const a = R("a", 1, 2);
    const { store, edits, reply, errors } = setup({ regions: [a] });
    store.edit([{ before: a, after: { ...a, end: 7 } }]);
    await settle();
    store.edit([{ before: null, after: R("b", 3, 4, "Bad") }]);
    await settle();
    reply(edits()[0], { seq: 0, error: "region a: end 7 is past the data" });
    await settle();
    expect(errors).toEqual(["region a: end 7 is past the data"]);
    // Only the refused message's op went; b (not in it) is sent next.
    expect(store.regions()).toEqual([a, R("b", 3, 4, "Bad")]);
    expect((edits()[1].ops as { seq: number }[]).map((o) => o.seq)).toEqual([2]);
    reply(edits()[1], { seq: 0, error: "region b: label 'Bad' is not one of the labels" });
    await settle();
    expect(store.regions()).toEqual([a]);
    expect(store.status().pending).toBe(0);
    // Refused edits leave the undo history.
    expect(store.canUndo).toBe(false);
  });

  it("keeps ops pending without a reply and re-sends them with the same seqs", async () => {
    const { store, edits, t, kernel } = setup();
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    expect(edits()).toHaveLength(1);
    t.advance(EDIT_TIMEOUT_MS - 1);
    await settle();
    expect(store.status().notAnswering).toBe(false);
    t.advance(1);
    await settle();
    expect(store.status()).toMatchObject({ pending: 1, notAnswering: true });
    t.advance(EDIT_RETRY_MS - 1);
    expect(edits()).toHaveLength(1);
    t.advance(1);
    expect(edits()).toHaveLength(2);
    const [first, again] = edits();
    expect(again.client).toBe(first.client);
    expect(again.ops).toEqual(first.ops);
    expect(again.id).not.toBe(first.id);
    // The kernel got both, late: applying the first, acknowledging the second as already applied.
    kernel.answer(first);
    kernel.answer(again);
    await settle();
    expect(store.status()).toMatchObject({ pending: 0, notAnswering: false, saved: true });
    expect(store.regions()).toEqual([R("a", 1, 2)]);
  });

  it("drops the whole refused message, also the ops the kernel had applied before (lost reply)", async () => {
    const { store, edits, t, kernel, errors } = setup();
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    t.advance(EDIT_TIMEOUT_MS); // the kernel is busy: no reply in time
    await settle();
    store.edit([{ before: null, after: R("b", 3, 4, "Bad") }]);
    await settle();
    expect(edits()).toHaveLength(1); // waits for the retry
    t.advance(EDIT_RETRY_MS);
    await settle();
    const [first, again] = edits();
    expect((again.ops as { seq: number }[]).map((o) => o.seq)).toEqual([1, 2]);
    kernel.answer(first); // applies seq 1; its reply comes too late to count
    kernel.answer(again); // refuses seq 2, says 1 was applied
    await settle();
    expect(errors).toEqual(["region b: label 'Bad' is not one of the labels"]);
    expect(store.status().pending).toBe(0);
    expect(store.regions()).toEqual([R("a", 1, 2)]);
    t.advance(EDIT_RETRY_MS * 3);
    expect(edits()).toHaveLength(2);
    // The refused creation left the history; creating a is still undoable.
    store.undo();
    expect(store.regions()).toEqual([]);
  });

  it("keeps ops pending when the comm is gone (send throws), and delivers them later", async () => {
    const { store, edits, t, model, kernel } = setup();
    model.sendError = new Error("Cannot send: comm closed");
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    expect(store.status()).toMatchObject({ pending: 1, notAnswering: true });
    expect(store.regions()).toEqual([R("a", 1, 2)]);
    model.sendError = null;
    t.advance(EDIT_RETRY_MS);
    expect(edits()).toHaveLength(1);
    kernel.answerLast();
    await settle();
    expect(store.status().pending).toBe(0);
    expect(model.get("regions")).toEqual([R("a", 1, 2)]);
  });

  it("keeps the pending ops on top when the kernel's regions change meanwhile", async () => {
    const a = R("a", 1, 2);
    const { store, model } = setup({ regions: [a] });
    store.edit([{ before: a, after: { ...a, label: "Walk" } }]);
    model.set("regions", [R("a", 1, 2, "Run", { by: "python" }), R("c", 5, 6)]);
    expect(store.regions()).toEqual([R("a", 1, 2, "Walk", { by: "python" }), R("c", 5, 6)]);
  });

  it("undo sends the inverse op; redo puts the region back", async () => {
    const { store, edits, kernel } = setup();
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    kernel.answerLast();
    await settle();
    store.undo();
    await settle();
    expect(edits()[1].ops).toEqual([{ seq: 2, id: "a", region: null }]);
    kernel.answerLast();
    await settle();
    expect(store.regions()).toEqual([]);
    store.redo();
    await settle();
    expect(edits()[2].ops).toEqual([{ seq: 3, id: "a", region: wire(R("a", 1, 2)) }]);
  });

  it("a refused undo goes back on the undo stack", async () => {
    const { store, edits, reply, kernel } = setup();
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    kernel.answerLast();
    await settle();
    store.undo();
    await settle();
    expect(store.canUndo).toBe(false);
    reply(edits()[1], { seq: 1, error: "labels file is read-only" });
    await settle();
    expect(store.regions()).toEqual([R("a", 1, 2)]);
    expect(store.canUndo).toBe(true);
    expect(store.canRedo).toBe(false);
  });
});

/** Persistence that records each call and what had been sent by then; writes wait until released. */
class GatedPersistence implements PendingPersistence {
  readonly calls: { what: string; key: string; ops: number[]; sentBefore: number }[] = [];
  readonly inner = new MemoryPersistence();
  private gates: (() => void)[] = [];
  constructor(private sent: () => number, public gated = true) {}
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, entry: PendingEntry) {
    this.calls.push({ what: "put", key, ops: entry.ops.map((o) => o.seq), sentBefore: this.sent() });
    if (this.gated) await new Promise<void>((r) => this.gates.push(r));
    await this.inner.put(key, entry);
  }
  async delete(key: string) {
    this.calls.push({ what: "delete", key, ops: [], sentBefore: this.sent() });
    await this.inner.delete(key);
  }
  release() {
    for (const g of this.gates.splice(0)) g();
  }
}

describe("persistence of pending edits", () => {
  it("writes the pending set before sending it, and deletes it once all is acknowledged", async () => {
    let sent = 0;
    const p = new GatedPersistence(() => sent);
    const { store, edits, kernel } = setup({ key: "K", persistence: p });
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    sent = edits().length;
    expect(p.calls).toEqual([{ what: "put", key: "K", ops: [1], sentBefore: 0 }]);
    expect(edits()).toHaveLength(0); // not sent while the write is under way
    p.release();
    await settle();
    expect(edits()).toHaveLength(1);
    expect(p.inner.entries.get("K")).toMatchObject({ client: edits()[0].client, ops: [{ seq: 1, id: "a" }] });
    p.gated = false;
    kernel.answerLast();
    await settle();
    await store.idle();
    expect(p.calls.at(-1)).toMatchObject({ what: "delete", key: "K" });
    expect(p.inner.entries.has("K")).toBe(false);
  });

  it("does not send an edit whose write is under way, even when an ack frees the channel", async () => {
    const p = new GatedPersistence(() => 0, false);
    const { store, edits, kernel } = setup({ key: "K", persistence: p });
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    expect(edits()).toHaveLength(1);
    p.gated = true;
    store.edit([{ before: null, after: R("b", 3, 4) }]);
    await settle();
    kernel.answerLast();
    await settle();
    expect(edits()).toHaveLength(1);
    p.gated = false;
    p.release();
    await settle();
    expect(edits()).toHaveLength(2);
    expect(edits()[1].ops).toEqual([{ seq: 2, id: "b", region: wire(R("b", 3, 4)) }]);
  });

  it("sends nothing to storage without a store key", async () => {
    const p = new GatedPersistence(() => 0);
    const { store, edits } = setup({ key: "", persistence: p });
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    expect(p.calls).toEqual([]);
    expect(edits()).toHaveLength(1);
  });

  it("carries on in memory when storage fails, and says so", async () => {
    const broken: PendingPersistence = {
      get: async () => null,
      put: async () => {
        throw new DOMException("quota exceeded", "QuotaExceededError");
      },
      delete: async () => {},
    };
    const { store, edits } = setup({ key: "K", persistence: broken });
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await settle();
    expect(store.status()).toMatchObject({ memoryOnly: true, pending: 1 });
    expect(edits()).toHaveLength(1);
  });

  it("recovers a stored entry: shown at once, delivered with its client and seqs", async () => {
    const p = new MemoryPersistence();
    const ops = [
      { seq: 4, id: "a", region: wire(R("a", 1, 2)) },
      { seq: 5, id: "k", region: null },
    ];
    await p.put("K", { client: "tab-before", ops, updated: 1 });
    const { store, edits, kernel, model } = setup({ key: "K", persistence: p, regions: [R("k", 7, 8)] });
    await settle();
    expect(store.regions()).toEqual([R("a", 1, 2)]);
    expect(store.status()).toMatchObject({ pending: 2, recovered: 2 });
    expect(edits()).toEqual([{ type: "edit", id: 1, client: "tab-before", ops }]);
    // A new edit continues the recovered client's sequence.
    store.edit([{ before: null, after: R("b", 3, 4) }]);
    kernel.answerLast();
    await settle();
    kernel.answerLast();
    await settle();
    await store.idle();
    expect(edits()[1]).toMatchObject({ client: "tab-before", ops: [{ seq: 6, id: "b" }] });
    expect(model.get("regions")).toEqual([R("a", 1, 2), R("b", 3, 4)]);
    expect(store.status()).toMatchObject({ pending: 0, recovered: 0 });
    expect(p.entries.has("K")).toBe(false);
  });

  it("puts edits made before the stored entry was read after the recovered ones", async () => {
    const p = new MemoryPersistence();
    await p.put("K", { client: "old", ops: [{ seq: 9, id: "a", region: wire(R("a", 1, 2)) }], updated: 1 });
    const { store, edits } = setup({ key: "K", persistence: p });
    const a = R("a", 1, 2);
    store.edit([{ before: a, after: { ...a, label: "Walk" } }]); // before recovery read finished
    await store.idle();
    await settle();
    expect(store.regions()).toEqual([R("a", 1, 2, "Walk")]);
    expect(edits()[0]).toMatchObject({ client: "old", ops: [{ seq: 9 }, { seq: 10, region: { label: "Walk" } }] });
    expect(p.entries.get("K")!.ops.map((o) => o.seq)).toEqual([9, 10]);
  });

  it("moves pending ops when the store key changes, and recovers the new key's entry", async () => {
    const p = new MemoryPersistence();
    await p.put("K2", { client: "other", ops: [{ seq: 1, id: "x", region: wire(R("x", 0, 1)) }], updated: 1 });
    const { store, model, t, edits } = setup({ key: "K1", persistence: p });
    model.sendError = new Error("comm closed");
    store.edit([{ before: null, after: R("a", 1, 2) }]);
    await store.idle();
    expect(p.entries.has("K1")).toBe(true);
    model.traits._store_key = "K2";
    store.storeKeyChanged();
    await store.idle();
    expect(p.entries.has("K1")).toBe(false);
    expect(p.entries.get("K2")!.ops.map((o) => o.id)).toEqual(["a", "x"]);
    expect(store.regions().map((r) => r.id)).toEqual(["a", "x"]);
    model.sendError = null;
    t.advance(EDIT_RETRY_MS);
    expect((edits()[0].ops as { id: string }[]).map((o) => o.id)).toEqual(["a", "x"]);
  });
});
