/**
 * The save-status part of one view: how many region edits the kernel has not
 * acknowledged yet (text, and a `data-pending` count end-to-end tests can wait
 * on), and the kernel's refusals, shown in the view's error box until the
 * next accepted edit.
 */

import type { EditStatus, PendingEdits } from "./pending";

/** Where a view shows errors; clearError(text) clears the box only while it still shows `text`. */
export interface ErrorBox {
  showError(text: string): void;
  clearError(text: string): void;
}

function edits(n: number): string {
  return n === 1 ? "1 edit" : `${n} edits`;
}

/** The status line for `s`: empty when there is nothing to say. */
export function statusText(s: EditStatus): string {
  const parts: string[] = [];
  const fresh = s.pending - s.recovered;
  if (s.recovered > 0) parts.push(`${s.recovered} unsaved ${s.recovered === 1 ? "edit" : "edits"} recovered, saving…`);
  if (fresh > 0) parts.push(`${edits(fresh)} not yet saved`);
  if (s.pending > 0 && s.notAnswering) parts[parts.length - 1] += " (kernel not answering)";
  if (s.pending === 0 && s.saved) parts.push("saved");
  if (s.memoryOnly) parts.push("edits kept in this tab only");
  return parts.join(" · ");
}

/** One view's save-status part, kept in step with the model's pending edits. */
export class SaveStatus {
  readonly el: HTMLDivElement;
  /** The refusal this part put in the error box (cleared by the next accepted edit). */
  private shown: string | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: PendingEdits, box: ErrorBox) {
    this.el = document.createElement("div");
    this.el.className = "tsv-save-status";
    this.el.dataset.part = "save-status";
    this.el.setAttribute("aria-live", "polite");
    this.unsubscribe = store.subscribe({
      change: () => this.update(),
      error: (text) => {
        this.shown = text;
        box.showError(text);
      },
      accepted: () => {
        if (this.shown !== null) box.clearError(this.shown);
        this.shown = null;
      },
    });
    this.update();
  }

  private update(): void {
    const s = this.store.status();
    this.el.textContent = statusText(s);
    this.el.dataset.pending = String(s.pending);
    this.el.dataset.state = s.pending === 0 ? (s.saved ? "saved" : "idle") : s.notAnswering ? "not-answering" : "pending";
    this.el.classList.toggle("tsv-save-warn", s.memoryOnly || (s.pending > 0 && s.notAnswering));
  }

  destroy(): void {
    this.unsubscribe();
    this.el.remove();
  }
}
