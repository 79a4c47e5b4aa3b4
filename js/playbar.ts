/**
 * The play bar: one play/pause button for every track, and the data clock's
 * time as text. It shows what the conductor does and asks it to play; it
 * holds no state of its own.
 */

import { el } from "./dom";

/** Least time between two texts of the clock while playing (ms). */
export const TEXT_MS = 100;

export class PlayBar {
  readonly el: HTMLDivElement;
  private readonly button: HTMLButtonElement;
  private readonly text: HTMLSpanElement;
  private shownAt = -Infinity;

  constructor(toggle: () => void, signal: AbortSignal) {
    this.el = el("div", "tsv-playbar", "playbar");
    this.button = el("button", "tsv-play", "play", undefined, this.el);
    this.button.type = "button";
    this.text = el("span", "tsv-clock-text", "clock-text", undefined, this.el);
    this.button.addEventListener("click", toggle, { signal });
    this.show(false, "");
  }

  /**
   * Show the playing state and the data time `time` (text); while playing the
   * text changes at most every TEXT_MS (each change costs the page a layout).
   */
  show(playing: boolean, time: string, now: number = performance.now()): void {
    const label = playing ? "Pause" : "Play";
    if (this.button.textContent !== label) {
      this.button.textContent = label;
      this.button.setAttribute("aria-label", `${label} every track`);
      this.button.setAttribute("aria-pressed", String(playing));
    }
    if (playing && now - this.shownAt < TEXT_MS) return;
    this.shownAt = playing ? now : -Infinity;
    if (this.text.textContent !== time) this.text.textContent = time;
  }
}
