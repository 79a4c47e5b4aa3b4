import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FrameLoop } from "../frameloop";

const frames = new Map<number, FrameRequestCallback>();
let next = 1;

beforeEach(() => {
  frames.clear();
  vi.stubGlobal("requestAnimationFrame", (fn: FrameRequestCallback) => (frames.set(next, fn), next++));
  vi.stubGlobal("cancelAnimationFrame", (id: number) => void frames.delete(id));
});
afterEach(() => vi.unstubAllGlobals());

function runFrames(): void {
  const due = [...frames.values()];
  frames.clear();
  for (const fn of due) fn(0);
}

describe("FrameLoop", () => {
  it("runs its step once per frame until the step says stop, one frame pending at most", () => {
    let n = 0;
    const loop = new FrameLoop(() => ++n < 3);
    loop.start();
    loop.start();
    expect(frames.size).toBe(1);
    runFrames();
    runFrames();
    expect(loop.running).toBe(true);
    runFrames();
    expect(n).toBe(3);
    expect(loop.running).toBe(false);
    runFrames();
    expect(n).toBe(3);
  });

  it("stop() cancels the pending frame", () => {
    let n = 0;
    const loop = new FrameLoop(() => (n++, true));
    loop.start();
    loop.stop();
    expect(frames.size).toBe(0);
    runFrames();
    expect(n).toBe(0);
  });
});
