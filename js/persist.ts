/**
 * Where edits not yet acknowledged by the kernel are kept across a closed tab
 * or a dead kernel: one entry per widget, keyed by the kernel's `_store_key`.
 *
 * `PendingPersistence` is the seam; IndexedDB is the real implementation,
 * the in-memory one serves tests. Entries read back are checked field by
 * field, since another version of this code (or anything else on the page's
 * origin) may have written them.
 */

import type { PendingOp, WireRegion } from "./editops";
import { PENDING_DB, PENDING_STORE, PENDING_VERSION } from "./wire";

/** What is stored under a widget's key. */
export interface PendingEntry {
  /** Random id of the store that numbered `ops`. */
  client: string;
  ops: PendingOp[];
  /** When it was written (ms since the epoch). */
  updated: number;
}

/** Keeps one PendingEntry per key. Every method may reject (private mode, quota, no IndexedDB). */
export interface PendingPersistence {
  get(key: string): Promise<PendingEntry | null>;
  put(key: string, entry: PendingEntry): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A random id for a pending-edit store. */
export function newClientId(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}

function parseRegion(v: unknown): WireRegion | null | undefined {
  if (v === null) return null;
  if (typeof v !== "object") return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== "string" || typeof r.label !== "string") return undefined;
  if (typeof r.start !== "number" || typeof r.end !== "number") return undefined;
  if (r.channel != null && typeof r.channel !== "string") return undefined;
  return { id: r.id, start: r.start, end: r.end, label: r.label, channel: (r.channel as string | undefined) ?? null };
}

/** The entry in `v` if it has the stored shape (malformed ops are dropped), else null. */
export function parseEntry(v: unknown): PendingEntry | null {
  if (!v || typeof v !== "object") return null;
  const e = v as Record<string, unknown>;
  if (typeof e.client !== "string" || !e.client || !Array.isArray(e.ops)) return null;
  const ops: PendingOp[] = [];
  for (const o of e.ops as unknown[]) {
    if (!o || typeof o !== "object") continue;
    const { seq, id, region } = o as Record<string, unknown>;
    const r = parseRegion(region);
    if (typeof seq !== "number" || !Number.isInteger(seq) || seq < 1 || typeof id !== "string" || r === undefined) continue;
    if (r && r.id !== id) continue;
    ops.push({ seq, id, region: r });
  }
  ops.sort((a, b) => a.seq - b.seq);
  return { client: e.client, ops, updated: typeof e.updated === "number" ? e.updated : 0 };
}

/** Entries in a Map: for tests, and as a stand-in where nothing should outlive the page. */
export class MemoryPersistence implements PendingPersistence {
  readonly entries = new Map<string, PendingEntry>();

  async get(key: string): Promise<PendingEntry | null> {
    const e = this.entries.get(key);
    return e ? parseEntry(structuredClone(e)) : null;
  }

  async put(key: string, entry: PendingEntry): Promise<void> {
    this.entries.set(key, structuredClone(entry));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** Entries in IndexedDB (database PENDING_DB, object store PENDING_STORE, out-of-line keys). */
export class IndexedDbPersistence implements PendingPersistence {
  private db: Promise<IDBDatabase> | null = null;

  /**
   * `factory` gives the IndexedDB to use (default: the page's). It is asked
   * only when needed: in a sandboxed frame merely reading `indexedDB` throws,
   * and that must fail a write, not the widget.
   */
  constructor(private readonly factory: () => IDBFactory | undefined = () => globalThis.indexedDB) {}

  private open(): Promise<IDBDatabase> {
    if (this.db) return this.db;
    const opening = new Promise<IDBDatabase>((resolve, reject) => {
      const factory = this.factory();
      if (!factory) throw new Error("IndexedDB is not available");
      const req = factory.open(PENDING_DB, PENDING_VERSION);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(PENDING_STORE)) req.result.createObjectStore(PENDING_STORE);
      };
      req.onsuccess = () => {
        const db = req.result;
        // A newer schema in another tab: let it upgrade, and open again next time.
        db.onversionchange = () => {
          db.close();
          this.db = null;
        };
        db.onclose = () => {
          this.db = null;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error ?? new Error(`cannot open IndexedDB ${PENDING_DB}`));
      req.onblocked = () => reject(new Error(`IndexedDB ${PENDING_DB} is blocked by another tab`));
    });
    // A failed open is tried again on the next call rather than remembered.
    opening.catch(() => {
      if (this.db === opening) this.db = null;
    });
    this.db = opening;
    return opening;
  }

  /** Run one request in its own transaction; resolves when the transaction committed. */
  private async run<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(PENDING_STORE, mode);
      const req = make(tx.objectStore(PENDING_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  }

  async get(key: string): Promise<PendingEntry | null> {
    return parseEntry(await this.run("readonly", (s) => s.get(key)));
  }

  async put(key: string, entry: PendingEntry): Promise<void> {
    await this.run("readwrite", (s) => s.put(entry, key));
  }

  async delete(key: string): Promise<void> {
    await this.run("readwrite", (s) => s.delete(key));
  }

  /** Close the connection (tests; a page just lets it go). */
  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db) (await db.catch(() => null))?.close();
  }
}
