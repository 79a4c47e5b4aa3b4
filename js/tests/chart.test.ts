// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import "./canvas-stub";
import { makeChart } from "../chart";


describe("makeChart", () => {
  it("tells `sized` once uPlot has applied a new size, with the plot at its new width", async () => {
    const target = document.createElement("div");
    document.body.appendChild(target);
    const widths: number[] = [];
    const meta = { kind: "numeric", unit: "s" } as never;
    const u = makeChart(
      target,
      { meta, channels: ["a"], width: 600, height: 100, detail: false, theme: () => ({ fg: "#000", grid: "#ccc" }) as never, sized: (c) => widths.push(parseFloat(c.over.style.width)) },
      [new Float64Array([0, 1]), new Float64Array([0, 1])],
    );
    await Promise.resolve();
    const before = widths.length;
    u.setSize({ width: 300, height: 100 });
    expect(widths.length).toBe(before);
    await Promise.resolve();
    expect(widths.length).toBe(before + 1);
    expect(widths.at(-1)).toBeLessThanOrEqual(300);
    expect(widths.at(-1)).toBeGreaterThan(200);
    u.destroy();
  });
});
