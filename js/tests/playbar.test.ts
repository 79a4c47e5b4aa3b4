// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { PlayBar } from "../playbar";

function setup() {
  let toggles = 0;
  const ac = new AbortController();
  const bar = new PlayBar(() => toggles++, ac.signal);
  const button = bar.el.querySelector<HTMLButtonElement>('[data-part="play"]')!;
  const text = bar.el.querySelector<HTMLElement>('[data-part="clock-text"]')!;
  return { bar, button, text, ac, toggles: () => toggles };
}

describe("PlayBar", () => {
  it("starts as a Play button, not pressed, with no time", () => {
    const { bar, button, text } = setup();
    expect(bar.el.dataset.part).toBe("playbar");
    expect(button.type).toBe("button");
    expect(button.textContent).toBe("Play");
    expect(button.getAttribute("aria-label")).toBe("Play every track");
    expect(button.getAttribute("aria-pressed")).toBe("false");
    expect(text.textContent).toBe("");
  });

  it("shows Pause while playing, and the time as text", () => {
    const { bar, button, text } = setup();
    bar.show(true, "00:01:02.5");
    expect(button.textContent).toBe("Pause");
    expect(button.getAttribute("aria-label")).toBe("Pause every track");
    expect(button.getAttribute("aria-pressed")).toBe("true");
    expect(text.textContent).toBe("00:01:02.5");
    bar.show(false, "<b>1</b>");
    expect(button.textContent).toBe("Play");
    expect(button.getAttribute("aria-pressed")).toBe("false");
    expect(text.textContent).toBe("<b>1</b>");
    expect(bar.el.querySelector("b")).toBeNull();
  });

  it("a click toggles, until the signal is aborted", () => {
    const { button, ac, toggles } = setup();
    button.click();
    button.click();
    expect(toggles()).toBe(2);
    ac.abort();
    button.click();
    expect(toggles()).toBe(2);
  });
});
