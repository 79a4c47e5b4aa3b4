// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { bindKeys } from "../keys";
import { Labeler, type LabelHost } from "../labeling";
import { MemoryPersistence } from "../persist";
import { ModelState } from "../state";
import { EDIT_RETRY_MS, EDIT_TIMEOUT_MS } from "../wire";
import { FakeKernel } from "./fake-kernel";
import { FakeModel, settle } from "./fake-model";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
  vi.useRealTimers();
});

/** One widget: a fake model, its per-model state (as widget.ts's initialize makes it) and a kernel. */
function widget(traits: Record<string, unknown> = {}) {
  const model = new FakeModel({
    _labels: [
      { name: "Run", color: null, key: "1" },
      { name: "Walk", color: null, key: "2" },
    ],
    regions: [],
    _store_key: "labels.csv|abc",
    _meta: { span: 10, n: 1001, channels: ["ax"] },
    ...traits,
  });
  const persistence = new MemoryPersistence();
  const st = new ModelState(model.asModel(), persistence);
  model.on("msg:custom", st.onMessage);
  cleanups.push(() => {
    model.off("msg:custom", st.onMessage);
    st.dispose();
  });
  return { model, st, persistence, kernel: new FakeKernel(model) };
}

/**
 * One view's labeling UI: the detail chart's overlay is 100 px wide and shows
 * seconds 0 to 10 (so clientX 20 is 2 s); errors go to a data-part="error"
 * box as the View's do.
 */
function view(w: ReturnType<typeof widget>, overrides: Partial<LabelHost> = {}) {
  const root = document.createElement("div");
  document.body.append(root);
  const anchor = document.createElement("div");
  const over = document.createElement("div");
  root.append(anchor);
  anchor.append(over);
  over.getBoundingClientRect = () => ({ left: 0, top: 0, width: 100, height: 50, right: 100, bottom: 50, x: 0, y: 0, toJSON: () => ({}) });
  Object.defineProperty(over, "clientWidth", { value: 100 });
  over.setPointerCapture = () => {};
  const ac = new AbortController();
  const host: LabelHost = {
    model: w.model.asModel(),
    edits: w.st.edits,
    root,
    signal: ac.signal,
    editable: true,
    barAnchor: anchor,
    detailOver: () => over,
    channels: () => ["ax"],
    overviewOver: () => null,
    window: () => [0, 10],
    span: () => 10,
    playheadTime: () => null,
    playing: () => false,
    seekData: () => {},
    playRange: () => {},
    showError: (text) => {
      let box = root.querySelector<HTMLElement>('[data-part="error"]');
      if (!box) {
        box = document.createElement("div");
        box.dataset.part = "error";
        box.setAttribute("role", "alert");
        root.prepend(box);
      }
      box.textContent = text;
    },
    clearError: (text) => {
      const box = root.querySelector('[data-part="error"]');
      if (box?.textContent === text) box.remove();
    },
    ...overrides,
  };
  const labeler = new Labeler(host);
  labeler.attach();
  // As the View does: the one keymap hands labeling actions to the labeling UI.
  bindKeys(root, ac.signal, () => (w.model.get("_labels") as { name: string; key?: string }[]) ?? [], (a) => labeler.onAction(a));
  const destroy = () => {
    ac.abort();
    labeler.destroy();
    root.remove();
  };
  cleanups.push(destroy);
  const q = (sel: string) => root.querySelector<HTMLElement>(sel);
  return {
    root,
    over,
    destroy,
    regions: () => [...root.querySelectorAll<HTMLElement>('[data-part="region"]')].map((d) => d.dataset.id!),
    status: () => q('[data-part="save-status"]')!,
    error: () => q('[data-part="error"]'),
    click: (part: string) => q(`[data-part="${part}"]`)!.click(),
    key: (key: string, mods: KeyboardEventInit = {}) => root.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, ...mods })),
    /** Drag on the detail chart from clientX a to b (0..100 px). */
    drag: (a: number, b: number) => {
      const at = (type: string, x: number) => over.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: 25, button: 0, buttons: 1, pointerId: 1, bubbles: true }));
      at("pointerdown", a);
      at("pointermove", (a + b) / 2);
      at("pointermove", b);
      at("pointerup", b);
    },
  };
}

const edits = (w: ReturnType<typeof widget>) => w.model.sentOf("edit") as { id: number; client: string; ops: { seq: number; id: string; region: unknown }[] }[];

describe("labeling through the DOM", () => {
  it("read-only (a static page): no label bar, drags and keys edit nothing, a click selects and seeks", async () => {
    const w = widget({ regions: [{ id: "r1", start: 4, end: 6, label: "Walk", channel: null, meta: {} }] });
    const seeks: number[] = [];
    const v = view(w, { editable: false, seekData: (t) => seeks.push(t) });
    expect(v.root.querySelector<HTMLElement>('[data-part="labelbar"]')!.hidden).toBe(true);
    v.drag(10, 30); // would draw a region
    v.drag(45, 80); // would move r1
    v.key("1");
    v.key("Delete");
    v.over.dispatchEvent(new MouseEvent("dblclick", { clientX: 90, clientY: 25, bubbles: true }));
    await settle();
    expect(edits(w)).toEqual([]);
    expect(v.regions()).toEqual(["r1"]);
    expect(w.persistence.entries.size).toBe(0);
    const at = (type: string, x: number) => v.over.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: 25, button: 0, buttons: 1, pointerId: 1, bubbles: true }));
    at("pointerdown", 50);
    at("pointerup", 50);
    expect(seeks.at(-1)).toBe(4);
  });
  it("a region drawn with the pointer is shown, sent as an edit op and saved on the kernel's ack", async () => {
    const w = widget();
    const v = view(w);
    v.drag(20, 50);
    expect(v.regions()).toHaveLength(1);
    const id = v.regions()[0];
    await settle();
    const [msg] = edits(w);
    expect(msg.ops).toEqual([{ seq: 1, id, region: { id, start: 2, end: 5, label: "Run", channel: null } }]);
    expect(v.status().dataset.pending).toBe("1");
    expect(v.status().textContent).toBe("1 edit not yet saved");
    // Persisted under the widget's key before it was sent.
    expect(w.persistence.entries.get("labels.csv|abc")?.ops).toEqual(msg.ops);
    w.kernel.answer(msg);
    await settle();
    expect(v.status().dataset.pending).toBe("0");
    expect(v.status().textContent).toBe("saved");
    expect(v.regions()).toEqual([id]);
    expect(w.model.get("regions")).toMatchObject([{ id, start: 2, end: 5, label: "Run" }]);
    expect(w.model.saves).toBe(0); // regions are no longer set from the browser
  });

  it("undo (button) and redo (Ctrl+Shift+Z) send the inverse op and the op again", async () => {
    const w = widget();
    const v = view(w);
    v.drag(20, 50);
    await settle();
    w.kernel.answerLast();
    await settle();
    const id = v.regions()[0];
    v.click("undo");
    expect(v.regions()).toEqual([]);
    await settle();
    expect(edits(w)[1].ops).toEqual([{ seq: 2, id, region: null }]);
    w.kernel.answerLast();
    await settle();
    v.key("z", { ctrlKey: true, shiftKey: true });
    await settle();
    expect(edits(w)[2].ops).toEqual([{ seq: 3, id, region: { id, start: 2, end: 5, label: "Run", channel: null } }]);
    expect(v.regions()).toEqual([id]);
  });

  it("a refused edit leaves the view and its error shows until the next accepted edit", async () => {
    const w = widget();
    w.kernel.refuse = (op) => (op.region && op.region.end > 4 ? `region ${op.id}: end ${op.region.end} is past the allowed range` : null);
    const v = view(w);
    v.drag(20, 50);
    expect(v.regions()).toHaveLength(1);
    const id = v.regions()[0];
    await settle();
    w.kernel.answerLast();
    await settle();
    expect(v.regions()).toEqual([]);
    expect(v.error()?.textContent).toBe(`region ${id}: end 5 is past the allowed range`);
    expect(v.error()?.getAttribute("role")).toBe("alert");
    expect(v.status().dataset.pending).toBe("0");
    expect(w.persistence.entries.has("labels.csv|abc")).toBe(false);
    v.drag(10, 30);
    await settle();
    w.kernel.answerLast();
    await settle();
    expect(v.regions()).toHaveLength(1);
    expect(v.error()).toBeNull();
  });

  it("shows the kernel's unprompted refusal of a browser change", () => {
    const w = widget();
    const v = view(w);
    w.model.deliver({ type: "rejected", error: "selection (12, 3): start after end" });
    expect(v.error()?.textContent).toBe("selection (12, 3): start after end");
  });

  it("says the kernel is not answering after the edit timeout, and keeps the edit", async () => {
    vi.useFakeTimers();
    const w = widget();
    const v = view(w);
    v.drag(20, 50);
    await vi.advanceTimersByTimeAsync(EDIT_TIMEOUT_MS);
    expect(v.status().textContent).toBe("1 edit not yet saved (kernel not answering)");
    expect(v.status().dataset.state).toBe("not-answering");
    await vi.advanceTimersByTimeAsync(EDIT_RETRY_MS);
    expect(edits(w)).toHaveLength(2);
    expect(edits(w)[1].ops).toEqual(edits(w)[0].ops);
    w.kernel.answerLast();
    await vi.advanceTimersByTimeAsync(0);
    expect(v.status().dataset.pending).toBe("0");
  });
});

describe("the same widget shown twice", () => {
  it("shares one store: both views show an edit, either undoes it, each removes only its own listeners", async () => {
    const w = widget();
    const base = { regions: w.model.listeners("change:regions"), labels: w.model.listeners("change:_labels") };
    const a = view(w);
    const b = view(w);
    a.drag(20, 50);
    expect(b.regions()).toEqual(a.regions());
    expect(b.status().dataset.pending).toBe("1");
    await settle();
    expect(edits(w)).toHaveLength(1);
    w.kernel.answerLast();
    await settle();
    expect(b.status().textContent).toBe("saved");
    const aLayer = a.root.querySelector('[data-part="regions"]')!;
    a.destroy();
    b.drag(60, 80); // a destroyed view no longer follows the store
    expect(b.regions()).toHaveLength(2);
    expect(aLayer.querySelectorAll('[data-part="region"]')).toHaveLength(1);
    expect(w.model.listeners("change:regions")).toBe(base.regions + 1);
    expect(w.model.listeners("change:_labels")).toBe(base.labels + 1);
    // One history for the widget: b undoes its own edit, then a's.
    b.key("z", { ctrlKey: true });
    b.key("z", { ctrlKey: true });
    expect(b.regions()).toEqual([]);
    await settle();
    const ops = edits(w)[1].ops;
    expect(ops.map((o) => [o.seq, o.region === null])).toEqual([[2, false], [3, true], [4, true]]);
    expect(ops[2].id).toBe(edits(w)[0].ops[0].id);
    b.destroy();
    expect(w.model.listeners("change:regions")).toBe(base.regions);
  });

  it("recovers edits persisted by an earlier page and shows them as recovered in every view", async () => {
    const first = widget();
    first.model.sendError = new Error("comm closed");
    const v1 = view(first);
    v1.drag(20, 50);
    await settle();
    const stored = first.persistence.entries.get("labels.csv|abc")!;
    expect(stored.ops).toHaveLength(1);

    const model = new FakeModel({ ...first.model.traits, regions: [] });
    const persistence = new MemoryPersistence();
    await persistence.put("labels.csv|abc", stored);
    const st = new ModelState(model.asModel(), persistence);
    model.on("msg:custom", st.onMessage);
    cleanups.push(() => st.dispose());
    const again = { model, st, persistence, kernel: new FakeKernel(model) };
    const v2 = view(again);
    await settle();
    expect(v2.regions()).toEqual([stored.ops[0].id]);
    expect(v2.status().textContent).toBe("1 unsaved edit recovered, saving…");
    expect(edits(again)[0]).toMatchObject({ client: stored.client, ops: stored.ops });
    again.kernel.answerLast();
    await settle();
    expect(v2.status().textContent).toBe("saved");
  });
});
