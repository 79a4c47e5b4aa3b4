import { describe, expect, it } from "vitest";
import { Seeker } from "../seeker";

class FakeMedia {
  currentTime = 0;
  seeking = false;
  assigned: number[] = [];
  private fns: (() => void)[] = [];
  addEventListener(_t: string, fn: () => void) {
    this.fns.push(fn);
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
