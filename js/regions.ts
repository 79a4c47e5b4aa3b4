/**
 * Region editing as pure functions: create, move, resize, relabel, overlap
 * lanes, hit testing, and an undo/redo history of reversible operations.
 *
 * Times are relative seconds since the first sample, as everywhere in the
 * front end. An operation records each touched region before and after, so
 * undo works by id and composes with regions changed from Python meanwhile.
 */

export interface Region {
  id: string;
  start: number;
  end: number;
  label: string;
  channel: string | null;
  meta: Record<string, unknown>;
}

/** One user action: each touched region as it was (null: created) and as it is (null: deleted). */
export type Op = { before: Region | null; after: Region | null }[];

let counter = 0;

/** A fresh region id (random, with a counter so ids differ even without crypto). */
export function newId(): string {
  const rnd = typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID().replace(/-/g, "") : Math.random().toString(16).slice(2);
  counter = (counter + 1) % 4096;
  return (rnd.slice(0, 9) + counter.toString(16).padStart(3, "0")).slice(0, 12);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** A region between `a` and `b` (either order), clamped to [0, span]. */
export function createRegion(a: number, b: number, label: string, span: number, channel: string | null = null, id = newId()): Region {
  const s = clamp(Math.min(a, b), 0, span);
  const e = clamp(Math.max(a, b), 0, span);
  return { id, start: s, end: e, label, channel, meta: {} };
}

/** Move by `delta` seconds keeping the length, stopping at the data's ends. */
export function moveRegion(r: Region, delta: number, span: number): Region {
  const len = r.end - r.start;
  const s = clamp(r.start + delta, 0, Math.max(span - len, 0));
  return { ...r, start: s, end: s + len };
}

/** Drag one edge to `to`; it stops at the other edge (a region never turns inside out). */
export function resizeRegion(r: Region, edge: "start" | "end", to: number, span: number): Region {
  if (edge === "start") return { ...r, start: clamp(to, 0, r.end) };
  return { ...r, end: clamp(to, r.start, span) };
}

/** Apply an operation to a list: replace in place by id, drop deletions, append creations. */
export function applyOp(list: Region[], op: Op): Region[] {
  let out = list.slice();
  for (const { before, after } of op) {
    const id = (after ?? before)!.id;
    const i = out.findIndex((r) => r.id === id);
    if (after === null) {
      if (i >= 0) out = [...out.slice(0, i), ...out.slice(i + 1)];
    } else if (i >= 0) {
      out[i] = after;
    } else {
      out.push(after);
    }
  }
  return out;
}

/** The operation that undoes `op`. */
export function invertOp(op: Op): Op {
  return op.map(({ before, after }) => ({ before: after, after: before })).reverse();
}

/** Undo and redo stacks of operations (bounded). */
export class History {
  private undoStack: Op[] = [];
  private redoStack: Op[] = [];
  /** The stack entry each operation returned by undo() inverts. */
  private undone = new WeakMap<Op, Op>();

  constructor(private limit = 500) {}

  /** Record a new edit; it clears the redo stack. */
  push(op: Op): void {
    if (op.length === 0) return;
    this.undoStack.push(op);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
  }

  /** The operation to apply to undo the last edit, or null. */
  undo(): Op | null {
    const op = this.undoStack.pop();
    if (!op) return null;
    this.redoStack.push(op);
    const inverse = invertOp(op);
    this.undone.set(inverse, op);
    return inverse;
  }

  /** The operation to apply to redo the last undone edit, or null. */
  redo(): Op | null {
    const op = this.redoStack.pop();
    if (!op) return null;
    this.undoStack.push(op);
    return op;
  }

  /**
   * Take back a step that did not happen (the kernel refused it): `op` is what
   * push() got or undo()/redo() returned. A refused edit leaves the history; a
   * refused undo or redo returns to the stack it came from.
   */
  revert(kind: "do" | "undo" | "redo", op: Op): void {
    const remove = (stack: Op[], o: Op | undefined) => {
      const i = o ? stack.lastIndexOf(o) : -1;
      if (i >= 0) stack.splice(i, 1);
      return i >= 0;
    };
    if (kind === "do") remove(this.undoStack, op);
    else if (kind === "undo") {
      const orig = this.undone.get(op);
      if (remove(this.redoStack, orig)) this.undoStack.push(orig!);
    } else if (remove(this.undoStack, op)) this.redoStack.push(op);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }
}

/**
 * Overlap lanes: regions that overlap in time get different lanes so each
 * stays visible and clickable. Greedy by start time; `lanes` is the number of
 * lanes in the region's overlap cluster, so a lone region fills the height.
 */
export function assignLanes(regions: Region[]): Map<string, { lane: number; lanes: number }> {
  const sorted = regions
    .filter((r) => r.end > r.start)
    .slice()
    .sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
  const out = new Map<string, { lane: number; lanes: number }>();
  let cluster: Region[] = [];
  let clusterEnd = -Infinity;
  let laneEnds: number[] = [];
  const flush = () => {
    const n = laneEnds.length;
    for (const r of cluster) out.get(r.id)!.lanes = n;
    cluster = [];
    laneEnds = [];
  };
  for (const r of sorted) {
    if (r.start >= clusterEnd) flush();
    let lane = laneEnds.findIndex((e) => e <= r.start);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(r.end);
    } else laneEnds[lane] = r.end;
    out.set(r.id, { lane, lanes: 1 });
    cluster.push(r);
    clusterEnd = Math.max(clusterEnd, r.end);
  }
  flush();
  for (const r of regions) if (!out.has(r.id)) out.set(r.id, { lane: 0, lanes: 1 });
  return out;
}

export interface Hit {
  id: string;
  part: "body" | "start" | "end";
}

/**
 * What is under time `t` at height fraction `y` (0 top, 1 bottom), with `tol`
 * seconds of grab margin for edges and point events. Edges win over bodies,
 * and the narrowest region wins among bodies, so a short region inside a long
 * one stays reachable.
 */
export function hitTest(regions: Region[], lanes: Map<string, { lane: number; lanes: number }>, t: number, y: number, tol: number): Hit | null {
  let best: { hit: Hit; score: number } | null = null;
  for (const r of regions) {
    const l = lanes.get(r.id) ?? { lane: 0, lanes: 1 };
    const inLane = r.start === r.end || (y >= l.lane / l.lanes && y <= (l.lane + 1) / l.lanes);
    if (!inLane) continue;
    let hit: Hit | null = null;
    let score = Infinity;
    if (r.start === r.end) {
      if (Math.abs(t - r.start) <= tol) hit = { id: r.id, part: "body" };
      score = -1;
    } else if (Math.abs(t - r.start) <= tol) {
      hit = { id: r.id, part: "start" };
      score = -0.5;
    } else if (Math.abs(t - r.end) <= tol) {
      hit = { id: r.id, part: "end" };
      score = -0.5;
    } else if (t > r.start && t < r.end) {
      hit = { id: r.id, part: "body" };
      score = r.end - r.start;
    }
    if (hit && (best === null || score < best.score)) best = { hit, score };
  }
  return best?.hit ?? null;
}

/**
 * Label while watching (state events): the first press of a label's hotkey
 * opens a region at the playhead, the second closes it there. Returns the
 * new open map and the region to create, if one closed.
 */
export function toggleLive(
  open: ReadonlyMap<string, number>,
  label: string,
  t: number,
  span: number,
): { open: Map<string, number>; closed: Region | null } {
  const next = new Map(open);
  const since = next.get(label);
  if (since === undefined) {
    next.set(label, t);
    return { open: next, closed: null };
  }
  next.delete(label);
  return { open: next, closed: createRegion(since, t, label, span) };
}

/** Regions that overlap [lo, hi] (those worth drawing). */
export function visible(regions: Region[], lo: number, hi: number): Region[] {
  // A range that only touches an edge of the window has nothing to show (its label would
  // spill over its neighbour); a point event on an edge is shown.
  return regions.filter((r) => (r.start === r.end ? r.end >= lo && r.start <= hi : r.end > lo && r.start < hi));
}
