/**
 * A static HTML export (`w.to_html(path)`): widgets with no kernel.
 *
 * The page holds, per widget, a `<script type="application/vnd.tsvideo-widget+json">`
 * with the widget's state (buffers as `{"__b64__": ...}`) and its embedded
 * detail tiles, next to a `<div>` it names in `data-for`. {@link mountStatic}
 * builds a {@link StaticModel} for each and renders it with the static host:
 * detail requests are answered from the tiles (the finest that covers the
 * window), media comes from its URL or a path beside the page, and regions
 * are read-only.
 */

import type { AnyModel } from "@anywidget/types";
import { decodeBase64Tree, fromBase64 } from "./buffers";
import { StaticHost } from "./hosts/static";

export const STATE_MIME = "application/vnd.tsvideo-widget+json";

/** One embedded tile: the kernel's `detail` reply header and its buffers (base64). */
export interface Tile {
  header: { lo: number; hi: number; bucket: number; dt: number } & Record<string, unknown>;
  buffers: string[];
}

export interface StaticData {
  state: Record<string, unknown>;
  chunks: Tile[];
}

/** Seconds per column of a tile (0 for raw samples: as fine as it gets). */
function resolution(t: Tile): number {
  return t.header.bucket <= 1 ? 0 : t.header.dt;
}

/**
 * The tile to answer a request for [lo, hi] with: the finest that covers it
 * all, else the finest that covers its middle third (a request is the window
 * padded by a width each side), else the finest that holds its centre; null
 * when no tile touches it.
 */
export function pickTile(tiles: Tile[], lo: number, hi: number): Tile | null {
  const eps = 1e-9 * Math.max(1, Math.abs(hi));
  const inside = (a: number, b: number) => tiles.filter((t) => t.header.lo <= a + eps && t.header.hi >= b - eps);
  const third = (hi - lo) / 3;
  const mid = (lo + hi) / 2;
  for (const found of [inside(lo, hi), inside(lo + third, hi - third), inside(mid, mid)]) {
    if (found.length) return found.reduce((best, t) => (resolution(t) < resolution(best) ? t : best));
  }
  return null;
}

type Handler = (...args: never[]) => void;

/**
 * The model of one widget on a static page: traits in memory (changes fire
 * `change:<name>` as a live model's do), and custom messages answered from
 * the embedded tiles instead of a kernel.
 */
export class StaticModel {
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly traits: Record<string, unknown>;

  constructor(private readonly data: StaticData) {
    this.traits = decodeBase64Tree(data.state) as Record<string, unknown>;
  }

  get(key: string): unknown {
    return this.traits[key];
  }

  set(key: string, value: unknown): void {
    if (this.traits[key] === value) return;
    this.traits[key] = value;
    this.fire(`change:${key}`);
  }

  /** Nothing to save to: the page has no kernel. */
  save_changes(): void {}

  on(name: string, fn: Handler): void {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name)!.add(fn);
  }

  off(name: string, fn?: Handler): void {
    if (fn) this.handlers.get(name)?.delete(fn);
    else this.handlers.delete(name);
  }

  /** A request: answered (asynchronously, as a kernel would) from what the page holds. */
  send(msg: Record<string, unknown>): void {
    const { type, id } = msg;
    let reply: Record<string, unknown>;
    let buffers: DataView[] = [];
    const tile = type === "detail" ? pickTile(this.data.chunks, Number(msg.lo), Number(msg.hi)) : null;
    if (tile) {
      // `finest`: the page holds nothing finer for this window, so asking again is pointless.
      reply = { ...tile.header, type, id, error: null, finest: true };
      buffers = tile.buffers.map(fromBase64);
    } else {
      const what = type === "detail" ? "no detail was embedded for this window" : `no kernel answers ${String(type)} requests`;
      reply = { type, id, error: `This is a static page: ${what}.` };
    }
    setTimeout(() => this.fire("msg:custom", reply, buffers), 0);
  }

  asModel(): AnyModel {
    return this as unknown as AnyModel;
  }

  private fire(name: string, ...args: unknown[]): void {
    for (const fn of [...(this.handlers.get(name) ?? [])]) (fn as (...a: unknown[]) => void)(...args);
  }
}

export interface Mounter {
  initialize(model: AnyModel, host: StaticHost): () => void;
  render(model: AnyModel, el: HTMLElement, host: StaticHost): () => void;
}

/**
 * Render every widget whose state the page holds; returns a cleanup that
 * removes them all. A widget whose state cannot be read shows why, as text.
 */
export function mountAll(doc: Document, mounter: Mounter): () => void {
  const host = new StaticHost();
  const cleanups: (() => void)[] = [];
  for (const script of doc.querySelectorAll<HTMLScriptElement>(`script[type="${STATE_MIME}"]`)) {
    const target = doc.getElementById(script.dataset.for ?? "");
    if (!target) continue;
    try {
      const model = new StaticModel(JSON.parse(script.textContent ?? "") as StaticData).asModel();
      cleanups.push(mounter.initialize(model, host), mounter.render(model, target, host));
    } catch (err) {
      target.textContent = `This widget could not be shown: ${String(err)}`;
    }
  }
  return () => {
    for (const fn of cleanups.reverse()) fn();
  };
}
