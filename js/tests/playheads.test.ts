// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { Playheads } from "../playheads";

function overlay(width: number): HTMLDivElement {
  const d = document.createElement("div");
  Object.defineProperty(d, "clientWidth", { value: width });
  return d;
}

function setup() {
  const ph = new Playheads();
  const detail = overlay(500);
  const overview = overlay(1000);
  ph.attach(detail, overview);
  return { ph, detail, overview };
}

describe("Playheads", () => {
  it("attaches the lines to the charts' overlays", () => {
    const { ph, detail, overview } = setup();
    expect(ph.detail.parentElement).toBe(detail);
    expect(ph.overview.parentElement).toBe(overview);
    expect(ph.detail.dataset.part).toBe("playhead");
    expect(ph.overview.dataset.part).toBe("overview-playhead");
  });

  it("places the detail line in the window and the overview line in the span, and sets data-time", () => {
    const { ph } = setup();
    ph.place(15, [10, 20], 100);
    expect(ph.detail.hidden).toBe(false);
    expect(ph.detail.style.transform).toBe("translateX(250px)");
    expect(ph.overview.hidden).toBe(false);
    expect(ph.overview.style.transform).toBe("translateX(150px)");
    expect(ph.detail.dataset.time).toBe("15");
  });

  it("hides the detail line off the window while the overview still shows it", () => {
    const { ph } = setup();
    ph.place(30, [10, 20], 100);
    expect(ph.detail.hidden).toBe(true);
    expect(ph.overview.hidden).toBe(false);
    expect(ph.overview.style.transform).toBe("translateX(300px)");
    ph.place(5, [10, 20], 100);
    expect(ph.detail.hidden).toBe(true);
    ph.place(20, [10, 20], 100); // the right edge is on the plot
    expect(ph.detail.hidden).toBe(false);
    expect(ph.detail.style.transform).toBe("translateX(500px)");
  });

  it("hides both lines for NaN (no media) and clears data-time", () => {
    const { ph } = setup();
    ph.place(15, [10, 20], 100);
    ph.place(Number.NaN, [10, 20], 100);
    expect(ph.detail.hidden).toBe(true);
    expect(ph.overview.hidden).toBe(true);
    expect(ph.detail.dataset.time).toBe("");
  });

  it("hides lines not attached yet", () => {
    const ph = new Playheads();
    ph.place(15, [10, 20], 100);
    expect(ph.detail.hidden).toBe(true);
    expect(ph.overview.hidden).toBe(true);
  });

  it("places a line on whole device pixels, so a sub-pixel move changes nothing to paint", () => {
    const { ph } = setup();
    ph.place(15.0001, [10, 20], 100); // 250.005 px
    expect(ph.detail.style.transform).toBe("translateX(250px)");
    ph.place(15.1, [10, 20], 100);
    expect(ph.detail.style.transform).toBe("translateX(255px)");
  });
});
