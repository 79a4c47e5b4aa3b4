// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { Messages } from "../messages";

function setup(parts: () => string[] = () => ["1,000 samples × 2 channels"]) {
  const root = document.createElement("div");
  root.append(document.createElement("span"));
  const msg = new Messages(root, parts);
  root.append(msg.statusLine);
  const errors = () => root.querySelectorAll<HTMLElement>('[data-part="error"]');
  return { root, msg, errors };
}

describe("Messages", () => {
  it("shows one error box, first in the root, with role alert, as text", () => {
    const { root, msg, errors } = setup();
    msg.showError("first");
    msg.showError("<b>second</b>");
    expect(errors()).toHaveLength(1);
    const box = errors()[0];
    expect(root.firstChild).toBe(box);
    expect(box.getAttribute("role")).toBe("alert");
    expect(box.textContent).toBe("<b>second</b>");
    expect(root.querySelector("b")).toBeNull();
  });

  it("clearError() removes the box; clearError(text) only while it shows that text", () => {
    const { msg, errors } = setup();
    msg.showError("media failed");
    msg.clearError("label failed");
    expect(errors()).toHaveLength(1);
    msg.clearError("media failed");
    expect(errors()).toHaveLength(0);
    msg.showError("again");
    msg.clearError();
    expect(errors()).toHaveLength(0);
    msg.clearError(); // nothing to clear
    msg.showError("new");
    expect(errors()).toHaveLength(1);
  });

  it("writes the status parts and the note joined with ' · ', and clears the note with ''", () => {
    const { msg } = setup(() => ["a", "b"]);
    msg.update();
    expect(msg.statusLine.textContent).toBe("a · b");
    expect(msg.statusLine.dataset.part).toBe("status");
    msg.setNote("loading mic…");
    expect(msg.statusLine.textContent).toBe("a · b · loading mic…");
    msg.setNote("");
    expect(msg.statusLine.textContent).toBe("a · b");
  });

  it("reads the status parts afresh on every update", () => {
    let parts = ["one"];
    const { msg } = setup(() => [...parts]);
    msg.setNote("n");
    parts = ["two", "three"];
    msg.update();
    expect(msg.statusLine.textContent).toBe("two · three · n");
  });
});
