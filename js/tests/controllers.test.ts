// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import type { Sel } from "../range";
import { RangeControl, type RangeHost } from "../rangecontrol";
import { SAVE_INTERVAL_MS, SelectionSync } from "../selectionsync";
import { FakeModel } from "./fake-model";

function fakeTimers() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    timers: {
      setTimeout: (fn: () => void, ms: number) => (due.set(next, { at: now + ms, fn }), next++),
      clearTimeout: (h: unknown) => void due.delete(h as number),
    },
    now: () => now,
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...due]) if (t.at <= now) (due.delete(id), t.fn());
    },
  };
}

describe("SelectionSync", () => {
  function setup() {
    const model = new FakeModel({ selection: [0, 5] });
    const ft = fakeTimers();
    let shown: Sel = [0, 5];
    let dragging = false;
    const moved: Sel[] = [];
    const sync = new SelectionSync(
      model.asModel(),
      (s) => (moved.push(s), (shown = s)),
      () => shown,
      () => dragging,
      ft.timers,
      ft.now,
    );
    return { model, ft, sync, moved, show: (s: Sel) => (shown = s), drag: (d: boolean) => (dragging = d) };
  }

  it("sets every window at once but saves at most every SAVE_INTERVAL_MS, and at once when final", () => {
    const { model, ft, sync, show } = setup();
    ft.advance(1000);
    for (let i = 1; i <= 10; i++) {
      show([i, i + 5]);
      sync.commit([i, i + 5], false);
      ft.advance(5);
    }
    expect(model.get("selection")).toEqual([10, 15]);
    expect(model.saves).toBe(1); // the first, then the throttle's timer is still waiting
    ft.advance(SAVE_INTERVAL_MS);
    expect(model.saves).toBe(2);
    sync.commit([11, 16], true);
    expect(model.saves).toBe(3);
    sync.dispose();
  });

  it("shows windows from elsewhere, never its own late echoes, and none while dragging", () => {
    const { model, ft, sync, moved, show, drag } = setup();
    ft.advance(1000);
    show([2, 7]);
    sync.commit([2, 7], true);
    show([3, 8]);
    sync.commit([3, 8], true);
    model.set("selection", [2, 7]); // the kernel's late echo of the first save
    expect(moved).toEqual([]);
    model.set("selection", [20, 25]); // Python moved it
    expect(moved).toEqual([[20, 25]]);
    drag(true);
    model.set("selection", [21, 26]);
    expect(moved).toHaveLength(1);
    sync.dispose();
    drag(false);
    model.set("selection", [22, 27]);
    expect(moved).toHaveLength(1);
    expect(model.listeners("change:selection")).toBe(0);
  });

  it("saves the window it committed even when a kernel answer landed in between, and ignores that answer", () => {
    const { model, ft, sync, moved, show, drag } = setup();
    ft.advance(1000);
    drag(true);
    show([1, 6]);
    sync.commit([1, 6], false); // saved at once
    ft.advance(10);
    show([2, 7]);
    sync.commit([2, 7], false); // waits for the throttle
    model.set("selection", [1.000000001, 6.000000001]); // the kernel's snapped answer to the first save
    ft.advance(SAVE_INTERVAL_MS);
    expect(model.get("selection")).toEqual([2, 7]); // the committed window is what is saved
    drag(false);
    model.set("selection", [1.000000001, 6.000000001]); // the same answer again, late
    model.set("selection", [2.000000001, 7.000000001]); // and the answer to the second save
    expect(moved).toEqual([]);
    model.set("selection", [30, 35]); // Python moved it
    expect(moved).toEqual([[30, 35]]);
    sync.dispose();
  });

  it("settle commits now and finally once the gesture pauses (a wheel zoom)", () => {
    const { model, ft, sync, show } = setup();
    ft.advance(1000);
    show([1, 2]);
    sync.settle([1, 2]);
    show([1, 1.5]);
    ft.advance(50);
    sync.settle([1, 1.5]);
    const saves = model.saves;
    ft.advance(SAVE_INTERVAL_MS);
    expect(model.saves).toBe(saves + 1);
    expect(model.get("selection")).toEqual([1, 1.5]);
    sync.dispose();
  });
});

describe("RangeControl", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  function setup(sel: Sel = [10, 20]) {
    const over = document.createElement("div");
    over.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 50, right: 1000, bottom: 50, x: 0, y: 0, toJSON: () => ({}) });
    document.body.append(over);
    const ac = new AbortController();
    let shown = sel;
    const events: string[] = [];
    const host: RangeHost = {
      span: () => 100,
      window: () => shown,
      minWidth: () => 1,
      moving: (s) => (events.push(`moving ${s[0]}-${s[1]}`), (shown = s)),
      moved: () => events.push("moved"),
      focus: () => events.push("focus"),
    };
    const rc = new RangeControl(host, ac.signal);
    rc.attach(over);
    rc.place(shown, 1000);
    cleanups.push(() => (ac.abort(), over.remove()));
    const at = (el: HTMLElement, type: string, x: number) => el.dispatchEvent(new PointerEvent(type, { clientX: x, button: 0, pointerId: 1, bubbles: true }));
    return { rc, over, events, at, shown: () => shown };
  }

  it("is drawn where the window is, with a wider grip when narrow", () => {
    const { rc } = setup();
    expect(rc.el.style.left).toBe("100px");
    expect(rc.el.style.width).toBe("100px");
    expect(rc.el.classList.contains("tsv-range-narrow")).toBe(false);
    rc.place([50, 50.5], 1000);
    expect(rc.el.classList.contains("tsv-range-narrow")).toBe(true);
    expect(rc.el.querySelectorAll('[data-part="range-start"], [data-part="range-end"]')).toHaveLength(2);
  });

  it("dragging the body moves the window, keeping its width, and says when the gesture ends", () => {
    const { rc, at, events, shown } = setup();
    at(rc.el, "pointerdown", 150);
    expect(rc.dragging).toBe(true);
    at(rc.el, "pointermove", 250);
    at(rc.el, "pointerup", 250);
    expect(shown()).toEqual([20, 30]);
    expect(events).toEqual(["focus", "moving 20-30", "moved"]);
    expect(rc.dragging).toBe(false);
  });

  it("dragging an edge resizes; a click outside jumps the window there", () => {
    const { rc, at, over, shown } = setup();
    const end = rc.el.querySelector<HTMLElement>('[data-part="range-end"]')!;
    at(end, "pointerdown", 200);
    at(end, "pointermove", 400);
    at(end, "pointerup", 400);
    expect(shown()).toEqual([10, 40]);
    at(over, "pointerdown", 700);
    at(over, "pointerup", 700);
    const [a, b] = shown();
    expect(b - a).toBeCloseTo(30, 9);
    expect(a <= 70 && 70 <= b).toBe(true);
  });
});
