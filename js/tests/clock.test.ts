import { describe, expect, it } from "vitest";
import { DataClock, type ClockAnchor } from "../clock";

function setup() {
  let now = 1000;
  const published: ClockAnchor[] = [];
  const clock = new DataClock((a) => published.push(a), () => now);
  return { clock, published, advance: (ms: number) => (now += ms), now: () => now };
}

describe("DataClock", () => {
  it("starts paused at data time 0 and holds while paused", () => {
    const { clock, advance } = setup();
    expect(clock.running).toBe(false);
    expect(clock.time()).toBe(0);
    advance(5000);
    expect(clock.time()).toBe(0);
  });

  it("runs at its speed while running, and holds where it was paused", () => {
    const { clock, advance } = setup();
    clock.set({ data: 10, running: true, speed: 2 });
    advance(1500);
    expect(clock.time()).toBeCloseTo(13, 12);
    clock.set({ running: false });
    advance(10_000);
    expect(clock.time()).toBeCloseTo(13, 12);
    expect(clock.running).toBe(false);
  });

  it("answers the time at another instant", () => {
    const { clock, now } = setup();
    clock.set({ data: 4, running: true, speed: 0.5 });
    expect(clock.time(now() + 2000)).toBeCloseTo(5, 12);
    expect(clock.time(now())).toBe(4);
  });

  it("publishes each anchor: when, where, how fast and whether running", () => {
    const { clock, published, advance } = setup();
    clock.set({ data: 3, running: true, speed: 1.5 });
    advance(1000);
    clock.set({ running: false });
    expect(published).toEqual([
      { at: 1000, data: 3, speed: 1.5, running: true },
      { at: 2000, data: 4.5, speed: 1.5, running: false },
    ]);
    expect(clock.anchor).toEqual(published[1]);
    // A copy: changing it does not move the clock.
    clock.anchor.data = 99;
    expect(clock.time()).toBe(4.5);
  });

  it("changes speed without a jump: the new speed runs from where the clock is", () => {
    const { clock, published, advance } = setup();
    clock.set({ data: 0, running: true, speed: 1 });
    advance(2000);
    clock.set({ speed: 3 });
    expect(clock.time()).toBeCloseTo(2, 12);
    expect(published.at(-1)).toEqual({ at: 3000, data: 2, speed: 3, running: true });
    advance(1000);
    expect(clock.time()).toBeCloseTo(5, 12);
    expect(clock.speed).toBe(3);
  });

  it("re-anchors a running clock on an empty change without moving it", () => {
    const { clock, published, advance } = setup();
    clock.set({ data: 1, running: true });
    advance(500);
    const before = clock.time();
    clock.set({});
    expect(clock.time()).toBe(before);
    expect(published.at(-1)).toEqual({ at: 1500, data: 1.5, speed: 1, running: true });
  });

  it("does not publish a paused clock's anchor that changes nothing", () => {
    const { clock, published, advance } = setup();
    clock.set({ data: 2 });
    advance(1000);
    clock.set({ data: 2 });
    clock.set({ running: false });
    expect(published).toHaveLength(1);
  });

  it("jumps to a new data time when told, running or not", () => {
    const { clock, advance } = setup();
    clock.set({ running: true });
    advance(1000);
    clock.set({ data: 42 });
    expect(clock.time()).toBe(42);
    advance(1000);
    expect(clock.time()).toBeCloseTo(43, 12);
  });
});
