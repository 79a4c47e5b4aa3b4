/**
 * Adding a sync point by hand: Alt+click on the detail chart, or S with the
 * pointer over it, pairs the data time under the pointer with the current
 * media time of the alignment panel's track (step frames with Shift+arrows
 * to find the moment first). Region editing ignores Alt+clicks
 * (regionpointer.ts), so the gesture does nothing else.
 */

import { timeAtClient } from "./scale";
import { newSyncPoint, type SyncPoint } from "./syncpoints";

/** What the gesture needs from its view. */
export interface GestureHost {
  signal: AbortSignal;
  /** False where nothing can be sent (a static page) or there is no media. */
  enabled(): boolean;
  window(): [number, number];
  span(): number;
  /** The track sync points are for (the alignment panel's), or null without media. */
  track(): string | null;
  /** Track `track`'s player's current media time (seconds), or null when it has none. */
  currentTime(track: string): number | null;
  add(p: SyncPoint): void;
  /** Say why nothing was added. */
  fail(text: string): void;
  /** Give the widget keyboard focus (S and frame steps act next). */
  focus(): void;
}

/** Alt+click and the S key on one view's detail chart, turned into sync points. */
export class SyncGesture {
  /** The detail chart's overlay the pointer was last over, and where (client x). */
  private last: { over: HTMLElement; clientX: number } | null = null;

  constructor(private readonly host: GestureHost) {}

  /** Hook pointer input on the detail chart's overlay `over`. */
  attach(over: HTMLElement): void {
    const signal = this.host.signal;
    this.last = null;
    over.addEventListener(
      "pointerdown",
      (e) => {
        if (e.button !== 0 || !e.altKey || !this.host.enabled()) return;
        // No default: the pointer does nothing else here (and takes no focus by itself: given below).
        e.preventDefault();
        this.host.focus();
        this.addAt(over, e.clientX);
      },
      { signal },
    );
    over.addEventListener("pointermove", (e) => (this.last = { over, clientX: e.clientX }), { signal });
    // S pairs with the sample *under* the pointer: none once it left the chart.
    over.addEventListener("pointerleave", () => (this.last = null), { signal });
  }

  /** The S key: a sync point under the last pointer position; false when there is none to add. */
  key(): boolean {
    if (!this.last || !this.host.enabled() || !this.last.over.isConnected) return false;
    this.addAt(this.last.over, this.last.clientX);
    return true;
  }

  private addAt(over: HTMLElement, clientX: number): void {
    const host = this.host;
    const track = host.track();
    if (track === null) return;
    const media = host.currentTime(track);
    if (media === null || !Number.isFinite(media)) {
      host.fail(`track ${track} has no media time yet: no sync point added`);
      return;
    }
    const [lo, hi] = host.window();
    const rel = Math.max(0, Math.min(host.span(), timeAtClient(over, lo, hi, clientX)));
    host.add(newSyncPoint(track, rel, media));
  }
}
