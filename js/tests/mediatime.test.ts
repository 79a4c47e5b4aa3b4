import { describe, expect, it } from "vitest";
import { MediaTimeSync, type MediaClock } from "../mediatime";
import { FakeModel } from "./fake-model";

class FakeClock implements MediaClock {
  seeks: number[] = [];
  constructor(
    public currentTime = 0,
    public paused = true,
  ) {}
  seek(t: number): void {
    this.seeks.push(t);
    this.currentTime = t;
  }
}

/** Two views of one model: each with its own media clock and MediaTimeSync. */
function twoViews() {
  const model = new FakeModel({ media_time: 0 });
  const views = [new FakeClock(), new FakeClock()].map((clock) => {
    const sync = new MediaTimeSync(model.asModel(), () => clock);
    model.on("change:media_time", sync.onModelMediaTime);
    return { clock, sync };
  });
  return { model, views };
}

describe("MediaTimeSync", () => {
  it("never seeks a playing view to a sibling's report", () => {
    const { model, views } = twoViews();
    for (const v of views) v.clock.paused = false;
    for (let i = 1; i <= 20; i++) {
      views[0].clock.currentTime = i * 0.25;
      views[1].clock.currentTime = i * 0.25 - 0.01;
      views[i % 2].sync.report();
    }
    expect(views.map((v) => v.clock.seeks)).toEqual([[], []]);
    expect(model.saves).toBe(20);
  });

  it("leaves a playing view alone when a sibling's clock is near, and follows only a jump", () => {
    const { views } = twoViews();
    for (const v of views) v.clock.paused = false;
    views[0].clock.currentTime = 3.0;
    views[1].clock.currentTime = 2.92;
    views[0].sync.report();
    views[1].sync.report();
    expect(views.map((v) => v.clock.seeks)).toEqual([[], []]);
    // The sibling was seeked while playing (its own controls): follow with a seek.
    views[0].clock.currentTime = 20;
    views[0].sync.report();
    expect(views[1].clock.seeks).toEqual([20]);
    expect(views[0].clock.seeks).toEqual([]);
  });

  it("seeks a paused view to a sibling's report (a seek with the media's own controls)", () => {
    const { views } = twoViews();
    views[0].clock.currentTime = 7.5;
    views[0].sync.report();
    expect(views[0].clock.seeks).toEqual([]);
    expect(views[1].clock.seeks).toEqual([7.5]);
  });

  it("seeks every view, playing or not, to a media_time set from Python", () => {
    const { model, views } = twoViews();
    views[0].clock.paused = false;
    model.set("media_time", 12);
    expect(views.map((v) => v.clock.seeks)).toEqual([[12], [12]]);
  });

  it("ignores the kernel's late echo of its own report", () => {
    const { model, views } = twoViews();
    views[0].clock.paused = false;
    views[0].clock.currentTime = 1;
    views[0].sync.report();
    views[0].clock.currentTime = 1.25;
    views[0].sync.report();
    model.set("media_time", 1);
    expect(views[0].clock.seeks).toEqual([]);
  });

});
