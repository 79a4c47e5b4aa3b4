// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { detailNodes, overviewNodes } from "../regionlayer";
import type { Region } from "../regions";
import { scale } from "../scale";

const r = (id: string, start: number, end: number, label = "Run", channel: string | null = null): Region => ({ id, start, end, label, channel, meta: {} }) as Region;

describe("region layers", () => {
  const color = () => "#123456";
  it("draws the regions in the window at their times, clipped to the plot, labels as text", () => {
    const nodes = detailNodes([r("a", 12, 14, "<img src=x>"), r("b", 0, 11), r("c", 30, 40), r("e", 15, 15)], scale(10, 20, 1000), "a", color);
    expect(nodes.map((n) => n.dataset.id)).toEqual(["a", "b", "e"]);
    const [a, b, e] = nodes;
    expect([a.style.left, a.style.width]).toEqual(["200px", "200px"]);
    expect(a.classList.contains("tsv-selected")).toBe(true);
    expect(a.querySelector("img")).toBeNull();
    expect(a.textContent).toBe("<img src=x>");
    expect(b.style.left).toBe("-2px"); // starts before the window: clipped just outside
    expect(e.classList.contains("tsv-event")).toBe(true);
    expect(e.querySelectorAll("[data-edge]")).toHaveLength(0);
    expect(a.querySelectorAll("[data-edge]")).toHaveLength(2);
  });
  it("overlapping regions share the height in lanes; channels show beside the label", () => {
    const [x, y] = detailNodes([r("x", 11, 15, "Walk", "ax"), r("y", 12, 16)], scale(10, 20, 100), null, color);
    expect([x.style.top, x.style.height, y.style.top]).toEqual(["0%", "50%", "50%"]);
    expect(x.textContent).toBe("Walk · ax");
  });
  it("marks every region on the overview, at least 2 px wide", () => {
    const marks = overviewNodes([r("a", 10, 20), r("p", 50, 50)], scale(0, 100, 500), color);
    expect(marks.map((m) => [m.style.left, m.style.width])).toEqual([
      ["50px", "50px"],
      ["250px", "2px"],
    ]);
  });
});
