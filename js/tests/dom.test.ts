// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { el } from "../dom";

describe("el", () => {
  it("makes an element with its class, data-part and parent, and text as text only", () => {
    const parent = document.createElement("div");
    const b = el("button", "tsv-x", "x-part", "<b>bold</b>", parent);
    expect(b.tagName).toBe("BUTTON");
    expect(b.className).toBe("tsv-x");
    expect(b.dataset.part).toBe("x-part");
    expect(b.textContent).toBe("<b>bold</b>");
    expect(b.querySelector("b")).toBeNull();
    expect(b.parentElement).toBe(parent);
    const bare = el("span", "");
    expect(bare.dataset.part).toBeUndefined();
    expect(bare.textContent).toBe("");
    expect(bare.parentElement).toBeNull();
  });
});
