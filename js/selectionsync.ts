/**
 * The one place that talks to the `selection` trait for a view: it writes the
 * window the user moves (set at once, saved to the kernel at most every
 * SAVE_INTERVAL_MS while a gesture goes on, and at once when it ends), and it
 * hands the view every window that comes from elsewhere (Python, another
 * view), never this view's own saves coming back late from the kernel.
 */

import type { AnyModel } from "@anywidget/types";
import type { Sel } from "./range";
import { realTimers, type Timers } from "./requests";

/** Save the selection to the kernel at most this often during a gesture (ms). */
export const SAVE_INTERVAL_MS = 100;

/** How many of this view's saves are remembered to recognise their echo. */
const RECENT = 8;

export function near(a: number, b: number, eps = 1e-9): boolean {
  return Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));
}

export class SelectionSync {
  private lastSave = -Infinity;
  private timer: unknown = null;
  private recent: Sel[] = [];
  /** The window this view last committed and has not saved yet. */
  private unsaved: Sel | null = null;
  private readonly onChange = (): void => {
    const s = this.get();
    if (!s || this.busy()) return;
    const cur = this.current();
    if (near(s[0], cur[0]) && near(s[1], cur[1])) return;
    // The kernel echoes what this view saved; a late echo must not pull the range back.
    if (this.recent.some((r) => near(r[0], s[0], 1e-7) && near(r[1], s[1], 1e-7))) return;
    this.moved(s);
  };

  /**
   * `moved(s)`: a window from elsewhere to show. `current()`: the window the
   * view shows. `busy()`: true while the user drags (the model must not move
   * the range under the pointer).
   */
  constructor(
    private readonly model: AnyModel,
    private readonly moved: (s: Sel) => void,
    private readonly current: () => Sel,
    private readonly busy: () => boolean,
    private readonly timers: Timers = realTimers,
    private readonly now: () => number = () => performance.now(),
  ) {
    model.on("change:selection", this.onChange);
  }

  /** The model's window (relative seconds), or null when it has none. */
  get(): Sel | null {
    const s = this.model.get("selection") as [number, number] | null;
    return s && s.length === 2 ? [Number(s[0]), Number(s[1])] : null;
  }

  /** Put `sel` in the model; save it now when `final` or when the last save is old enough, else soon. */
  commit(sel: Sel, final: boolean): void {
    this.unsaved = [sel[0], sel[1]];
    this.model.set("selection", [sel[0], sel[1]]);
    const now = this.now();
    if (final || now - this.lastSave >= SAVE_INTERVAL_MS) {
      this.cancel();
      this.save();
    } else if (this.timer === null) {
      this.timer = this.timers.setTimeout(() => this.save(), SAVE_INTERVAL_MS - (now - this.lastSave));
    }
  }

  /** Commit `sel` now, and finally once no other call came for SAVE_INTERVAL_MS (wheel zooms have no end event). */
  settle(sel: Sel): void {
    this.commit(sel, false);
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.commit(this.current(), true);
    }, SAVE_INTERVAL_MS);
  }

  /**
   * Save the window this view committed. The kernel's answer to an earlier save
   * (a datetime window snapped to the nanosecond, say) may have landed in the
   * model since the commit; what is saved, and remembered as this view's own, is
   * the committed window, so that answer is neither saved back nor, coming late,
   * taken for a window from elsewhere.
   */
  private save(): void {
    this.timer = null;
    this.lastSave = this.now();
    const sel = this.unsaved ?? this.get();
    this.unsaved = null;
    if (sel) {
      const cur = this.get();
      if (!cur || cur[0] !== sel[0] || cur[1] !== sel[1]) this.model.set("selection", [sel[0], sel[1]]);
      this.recent = [...this.recent.slice(-(RECENT - 1)), sel];
    }
    this.model.save_changes();
  }

  private cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.cancel();
    this.model.off("change:selection", this.onChange);
  }
}
