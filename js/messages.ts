/**
 * A view's messages: the error box (one at a time, role "alert") at the top
 * of the root, and the status line with its passing note. Text only.
 */

import { el } from "./dom";

export class Messages {
  private errorBox: HTMLDivElement | null = null;
  readonly statusLine: HTMLDivElement;
  private note = "";

  /** `status`: the status line's parts before the note. */
  constructor(
    private readonly root: HTMLElement,
    private readonly status: () => string[],
  ) {
    this.statusLine = el("div", "tsv-status", "status");
  }

  showError(text: string): void {
    if (!this.errorBox) {
      this.errorBox = el("div", "tsv-error", "error");
      this.errorBox.setAttribute("role", "alert");
      this.root.insertBefore(this.errorBox, this.root.firstChild);
    }
    this.errorBox.textContent = text;
  }

  /** Remove the error box; with `text`, only while it still shows that text. */
  clearError(text?: string): void {
    if (text !== undefined && this.errorBox?.textContent !== text) return;
    this.errorBox?.remove();
    this.errorBox = null;
  }

  /** A passing note after the status ("" clears it). */
  setNote(note: string): void {
    this.note = note;
    this.update();
  }

  update(): void {
    const parts = [...this.status()];
    if (this.note) parts.push(this.note);
    this.statusLine.textContent = parts.join(" · ");
  }
}
