import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { PendingEdits } from "../pending";
import { IndexedDbPersistence, parseEntry, type PendingEntry } from "../persist";
import { RequestChannel } from "../requests";
import { PENDING_DB, PENDING_STORE, PENDING_VERSION } from "../wire";
import { FakeKernel } from "./fake-kernel";
import { FakeModel, manualTimers, settle } from "./fake-model";

const entry = (client: string, ...seqs: number[]): PendingEntry => ({
  client,
  ops: seqs.map((seq) => ({ seq, id: `r${seq}`, region: { id: `r${seq}`, start: seq, end: seq + 1, label: "Run", channel: null } })),
  updated: 1000,
});

const opened: IndexedDbPersistence[] = [];
function persistence(factory: IDBFactory): IndexedDbPersistence {
  const p = new IndexedDbPersistence(() => factory);
  opened.push(p);
  return p;
}
afterEach(async () => {
  for (const p of opened.splice(0)) await p.close();
});

describe("IndexedDB persistence (against fake-indexeddb)", () => {
  it("puts, gets and deletes an entry", async () => {
    const p = persistence(new IDBFactory());
    expect(await p.get("K")).toBeNull();
    await p.put("K", entry("c1", 1, 2));
    expect(await p.get("K")).toEqual(entry("c1", 1, 2));
    await p.put("K", entry("c1", 2));
    expect(await p.get("K")).toEqual(entry("c1", 2));
    await p.delete("K");
    expect(await p.get("K")).toBeNull();
  });

  it("keeps entries of different keys apart", async () => {
    const p = persistence(new IDBFactory());
    await p.put("nb1.labels.csv|abc", entry("c1", 1));
    await p.put("nb2.labels.csv|def", entry("c2", 7, 8));
    await p.delete("nb1.labels.csv|abc");
    expect(await p.get("nb1.labels.csv|abc")).toBeNull();
    expect(await p.get("nb2.labels.csv|def")).toEqual(entry("c2", 7, 8));
  });

  it("is read back by another connection (a reloaded page)", async () => {
    const factory = new IDBFactory();
    const first = persistence(factory);
    await first.put("K", entry("c1", 3));
    await first.close();
    const second = persistence(factory);
    expect(await second.get("K")).toEqual(entry("c1", 3));
  });

  it("ignores what it did not write in the stored shape", async () => {
    const factory = new IDBFactory();
    const p = persistence(factory);
    await p.put("K", entry("c1", 1)); // creates the database and store
    await p.close();
    await new Promise<void>((resolve, reject) => {
      const req = factory.open(PENDING_DB, PENDING_VERSION);
      req.onsuccess = () => {
        const tx = req.result.transaction(PENDING_STORE, "readwrite");
        tx.objectStore(PENDING_STORE).put({ client: 42, ops: "nope" }, "bad");
        tx.objectStore(PENDING_STORE).put({ client: "c", ops: [{ seq: 1, id: "a", region: { id: "b", start: 0, end: 1, label: "x" } }, { seq: 2, id: "c", region: null }] }, "mixed");
        tx.oncomplete = () => {
          req.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
    expect(await p.get("bad")).toBeNull();
    // The op whose region id differs from its id is dropped, the deletion kept.
    expect(await p.get("mixed")).toEqual({ client: "c", ops: [{ seq: 2, id: "c", region: null }], updated: 0 });
  });

  it("rejects every call where there is no IndexedDB, or where touching it throws", async () => {
    const none = new IndexedDbPersistence(() => undefined);
    await expect(none.put("K", entry("c", 1))).rejects.toThrow(/not available/);
    await expect(none.get("K")).rejects.toThrow(/not available/);
    const sandboxed = new IndexedDbPersistence(() => {
      throw new DOMException("access denied", "SecurityError");
    });
    await expect(sandboxed.delete("K")).rejects.toThrow(/access denied/);
  });
});

describe("parseEntry", () => {
  it("sorts ops by seq and fills a missing channel", () => {
    const e = parseEntry({ client: "c", updated: 5, ops: [
      { seq: 3, id: "a", region: null },
      { seq: 1, id: "b", region: { id: "b", start: 0, end: 1, label: "Run" } },
    ] });
    expect(e).toEqual({ client: "c", updated: 5, ops: [
      { seq: 1, id: "b", region: { id: "b", start: 0, end: 1, label: "Run", channel: null } },
      { seq: 3, id: "a", region: null },
    ] });
  });
});

describe("edits survive a dead kernel and a closed tab (IndexedDB)", () => {
  function widget(factory: IDBFactory, traits: Record<string, unknown>) {
    const model = new FakeModel(traits);
    const t = manualTimers();
    const channel = new RequestChannel((m) => model.send(m), 60000, t.timers);
    model.on("msg:custom", (msg) => channel.receive(msg as Record<string, unknown>, []));
    return { model, store: new PendingEdits(model.asModel(), channel, persistence(factory), t.timers) };
  }

  it("delivers edits made while the kernel was gone to a re-created widget on the same key", async () => {
    const factory = new IDBFactory();
    const before = widget(factory, { regions: [], _store_key: "labels.csv|f00d" });
    before.model.sendError = new Error("comm closed");
    before.store.edit([{ before: null, after: { id: "a", start: 1, end: 2, label: "Run", channel: null, meta: {} } }]);
    before.store.edit([{ before: null, after: { id: "b", start: 3, end: 4, label: "Walk", channel: "ax", meta: {} } }]);
    await settle();
    await before.store.idle();
    expect(before.store.status()).toMatchObject({ pending: 2, notAnswering: true, memoryOnly: false });
    before.store.dispose(); // the tab is closed

    const after = widget(factory, { regions: [], _store_key: "labels.csv|f00d" });
    const other = widget(factory, { regions: [], _store_key: "other.csv|beef" });
    await after.store.idle();
    await other.store.idle();
    await settle();
    expect(other.model.sent).toEqual([]);
    expect(after.store.status()).toMatchObject({ pending: 2, recovered: 2 });
    const [msg] = after.model.sentOf("edit");
    expect(msg.ops).toEqual([
      { seq: 1, id: "a", region: { id: "a", start: 1, end: 2, label: "Run", channel: null } },
      { seq: 2, id: "b", region: { id: "b", start: 3, end: 4, label: "Walk", channel: "ax" } },
    ]);
    new FakeKernel(after.model).answer(msg);
    await settle();
    await after.store.idle();
    expect(after.store.status().pending).toBe(0);
    expect(await persistence(factory).get("labels.csv|f00d")).toBeNull();
  });
});
