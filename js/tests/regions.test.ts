import { describe, expect, it } from "vitest";
import {
  applyOp,
  assignLanes,
  createRegion,
  hitTest,
  History,
  invertOp,
  moveRegion,
  newId,
  resizeRegion,
  toggleLive,
  visible,
  type Region,
} from "../regions";

const R = (id: string, start: number, end: number, label = "Run"): Region => ({ id, start, end, label, channel: null, meta: {} });

describe("creating and editing", () => {
  it("creates a region in either drag direction, clamped to the data", () => {
    expect(createRegion(5, 2, "Walk", 10, null, "a")).toEqual(R("a", 2, 5, "Walk"));
    expect(createRegion(-1, 12, "Walk", 10, null, "a")).toMatchObject({ start: 0, end: 10 });
  });
  it("gives distinct ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
  });
  it("moves keeping the length, stopping at the ends", () => {
    expect(moveRegion(R("a", 2, 4), 3, 10)).toMatchObject({ start: 5, end: 7 });
    expect(moveRegion(R("a", 2, 4), 30, 10)).toMatchObject({ start: 8, end: 10 });
    expect(moveRegion(R("a", 2, 4), -30, 10)).toMatchObject({ start: 0, end: 2 });
  });
  it("resizes one edge without turning the region inside out", () => {
    expect(resizeRegion(R("a", 2, 4), "end", 6, 10)).toMatchObject({ start: 2, end: 6 });
    expect(resizeRegion(R("a", 2, 4), "end", 1, 10)).toMatchObject({ start: 2, end: 2 });
    expect(resizeRegion(R("a", 2, 4), "start", 3, 10)).toMatchObject({ start: 3, end: 4 });
    expect(resizeRegion(R("a", 2, 4), "start", -5, 10)).toMatchObject({ start: 0, end: 4 });
  });
  it("keeps meta and channel through edits", () => {
    const r = { ...R("a", 2, 4), channel: "ax", meta: { note: "x" } };
    expect(moveRegion(r, 1, 10)).toMatchObject({ channel: "ax", meta: { note: "x" } });
  });
});

describe("operations, undo and redo", () => {
  it("applies creations, edits and deletions by id", () => {
    let list: Region[] = [R("a", 1, 2)];
    list = applyOp(list, [{ before: null, after: R("b", 3, 4) }]);
    list = applyOp(list, [{ before: R("a", 1, 2), after: R("a", 1, 5, "Walk") }]);
    expect(list).toEqual([R("a", 1, 5, "Walk"), R("b", 3, 4)]);
    list = applyOp(list, [{ before: R("b", 3, 4), after: null }]);
    expect(list).toEqual([R("a", 1, 5, "Walk")]);
  });
  it("undo restores, redo re-applies, a new edit clears redo", () => {
    const h = new History();
    let list: Region[] = [];
    const create = [{ before: null, after: R("a", 1, 2) }];
    const relabel = [{ before: R("a", 1, 2), after: R("a", 1, 2, "Walk") }];
    const del = [{ before: R("a", 1, 2, "Walk"), after: null }];
    for (const op of [create, relabel, del]) {
      list = applyOp(list, op);
      h.push(op);
    }
    expect(list).toEqual([]);
    list = applyOp(list, h.undo()!);
    expect(list).toEqual([R("a", 1, 2, "Walk")]);
    list = applyOp(list, h.undo()!);
    expect(list).toEqual([R("a", 1, 2)]);
    list = applyOp(list, h.redo()!);
    expect(list).toEqual([R("a", 1, 2, "Walk")]);
    h.push([{ before: R("a", 1, 2, "Walk"), after: R("a", 0, 2, "Walk") }]);
    expect(h.redo()).toBeNull();
    expect(h.canUndo).toBe(true);
  });
  it("undo composes with regions changed elsewhere (from Python) meanwhile", () => {
    const h = new History();
    const op = [{ before: null, after: R("mine", 1, 2) }];
    h.push(op);
    let list = applyOp([R("py", 5, 6)], op);
    list = [...list, R("py2", 7, 8)]; // added from Python after the edit
    list = applyOp(list, h.undo()!);
    expect(list.map((r) => r.id)).toEqual(["py", "py2"]);
  });
  it("inverts multi-region operations in reverse order", () => {
    const op = [
      { before: null, after: R("a", 1, 2) },
      { before: R("b", 3, 4), after: null },
    ];
    expect(invertOp(op)).toEqual([
      { before: null, after: R("b", 3, 4) },
      { before: R("a", 1, 2), after: null },
    ]);
  });
  it("takes back refused steps: an edit leaves, an undo or redo returns to its stack", () => {
    const h = new History();
    const a = [{ before: null, after: R("a", 1, 2) }];
    const b = [{ before: null, after: R("b", 3, 4) }];
    h.push(a);
    h.push(b);
    h.revert("do", b);
    expect(h.undo()).toEqual(invertOp(a));
    h.redo();
    const inv = h.undo()!;
    h.revert("undo", inv);
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toEqual(invertOp(a));
    const redone = h.redo()!;
    h.revert("redo", redone);
    expect(h.canUndo).toBe(false);
    expect(h.redo()).toBe(a);
  });
  it("bounds the history", () => {
    const h = new History(3);
    for (let i = 0; i < 10; i++) h.push([{ before: null, after: R(String(i), i, i + 1) }]);
    let n = 0;
    while (h.undo()) n++;
    expect(n).toBe(3);
  });
});

describe("overlap lanes and hit testing", () => {
  it("puts overlapping regions in different lanes, lone ones full height", () => {
    const lanes = assignLanes([R("a", 0, 10), R("b", 2, 4), R("c", 3, 5), R("d", 20, 30), R("e", 10, 12)]);
    expect(lanes.get("a")).toEqual({ lane: 0, lanes: 3 });
    expect(new Set([lanes.get("b")!.lane, lanes.get("c")!.lane, 0]).size).toBe(3);
    expect(lanes.get("d")).toEqual({ lane: 0, lanes: 1 });
    expect(lanes.get("e")).toEqual({ lane: 0, lanes: 1 }); // touching a's end is not overlapping
  });
  it("keeps a short region inside a long one selectable", () => {
    const regions = [R("long", 0, 10), R("short", 4, 5)];
    const lanes = assignLanes(regions);
    const shortLane = lanes.get("short")!;
    const y = (shortLane.lane + 0.5) / shortLane.lanes;
    expect(hitTest(regions, lanes, 4.5, y, 0.05)).toEqual({ id: "short", part: "body" });
    const longY = (lanes.get("long")!.lane + 0.5) / lanes.get("long")!.lanes;
    expect(hitTest(regions, lanes, 4.5, longY, 0.05)).toEqual({ id: "long", part: "body" });
  });
  it("finds edges within the grab margin and point events", () => {
    const regions = [R("a", 2, 6), R("ev", 8, 8)];
    const lanes = assignLanes(regions);
    expect(hitTest(regions, lanes, 2.03, 0.5, 0.05)).toEqual({ id: "a", part: "start" });
    expect(hitTest(regions, lanes, 5.96, 0.5, 0.05)).toEqual({ id: "a", part: "end" });
    expect(hitTest(regions, lanes, 8.02, 0.1, 0.05)).toEqual({ id: "ev", part: "body" });
    expect(hitTest(regions, lanes, 7, 0.5, 0.05)).toBeNull();
  });
  it("lists only regions in the window", () => {
    expect(visible([R("a", 0, 1), R("b", 5, 6), R("c", 9, 20)], 4, 10).map((r) => r.id)).toEqual(["b", "c"]);
  });
  it("leaves out a range that only touches an edge, keeps a point event there", () => {
    const regions = [R("left", 1, 4), R("right", 10, 12), R("ev", 4, 4), R("in", 4, 5)];
    expect(visible(regions, 4, 10).map((r) => r.id)).toEqual(["ev", "in"]);
  });
});

describe("label while watching", () => {
  it("opens on the first press and closes on the second", () => {
    let st = toggleLive(new Map(), "Run", 3.5, 30);
    expect(st.closed).toBeNull();
    st = toggleLive(st.open, "Walk", 4, 30);
    st = toggleLive(st.open, "Run", 5.25, 30);
    expect(st.closed).toMatchObject({ start: 3.5, end: 5.25, label: "Run" });
    expect([...st.open.keys()]).toEqual(["Walk"]);
  });
});
