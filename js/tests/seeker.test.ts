import { describe, expect, it } from "vitest";
import { Seeker } from "../seeker";

class FakeMedia {
  currentTime = 0;
  seeking = false;
  readyState = 4;
  assigned: number[] = [];
  private fns: (() => void)[] = [];
  readonly byType = new Map<string, (() => void)[]>();
  addEventListener(t: string, fn: () => void) {
    if (t === "seeked") this.fns.push(fn);
    this.byType.set(t, [...(this.byType.get(t) ?? []), fn]);
  }
  set(t: number) {
    this.assigned.push(t);
    this.currentTime = t;
  }
  finishSeek() {
    for (const f of this.fns) f();
  }
}

function media() {
  const m = new FakeMedia();
  // Route assignments through set() to record them.
  return new Proxy(m, {
    set(target, prop, value) {
      if (prop === "currentTime") target.set(value as number);
      else (target as unknown as Record<string | symbol, unknown>)[prop] = value;
      return true;
    },
  });
}

describe("Seeker: one seek in flight, latest wins", () => {
  it("waits for the metadata before seeking (a seek then would only set the start)", () => {
    const m = media();
    m.readyState = 0;
    const s = new Seeker(m as unknown as FakeMedia);
    s.seek(5);
    s.seek(6);
    expect(m.assigned).toEqual([]);
    m.readyState = 1;
    for (const f of m.byType.get("loadedmetadata") ?? []) f();
    expect(m.assigned).toEqual([6]);
    expect(s.busy).toBe(true);
  });

  it("holds later targets until the running seek ends, then applies only the newest", () => {
    const m = media();
    const s = new Seeker(m);
    s.seek(1);
    s.seek(2);
    s.seek(3);
    s.seek(4);
    expect(m.assigned).toEqual([1]);
    m.finishSeek();
    expect(m.assigned).toEqual([1, 4]);
    m.finishSeek();
    expect(s.busy).toBe(false);
    expect(s.issued).toBe(2);
  });
  it("skips a seek to where the media already is", () => {
    const m = media();
    const s = new Seeker(m);
    s.seek(0);
    expect(m.assigned).toEqual([]);
    s.seek(Number.NaN);
    expect(m.assigned).toEqual([]);
  });
  it("tells its own seeks from the user's", () => {
    const m = media();
    const s = new Seeker(m);
    s.seek(5);
    m.finishSeek();
    expect(s.lastWasOwn).toBe(true);
    m.currentTime = 9; // the user drags the media's own slider
    m.finishSeek();
    expect(s.lastWasOwn).toBe(false);
  });
});
