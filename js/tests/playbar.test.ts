// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { PlayBar, TEXT_MS } from "../playbar";

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

  it("while playing, changes the time text at most every TEXT_MS", () => {
    const { bar, text } = setup();
    bar.show(true, "1", 1000);
    bar.show(true, "2", 1000 + TEXT_MS / 2);
    expect(text.textContent).toBe("1");
    bar.show(true, "3", 1000 + TEXT_MS);
    expect(text.textContent).toBe("3");
    bar.show(false, "4", 1000 + TEXT_MS + 1); // paused: at once
    expect(text.textContent).toBe("4");
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
