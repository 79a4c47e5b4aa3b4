/**
 * Seeking a media element with at most one seek in flight.
 *
 * Setting currentTime while a seek is still running makes browsers queue or
 * abort seeks, and a fast drag would fall ever further behind. Instead the
 * newest target waits and is applied when the running seek ends ("seeked"):
 * the latest position always wins, with no polling.
 */

export interface SeekTarget {
  currentTime: number;
  readonly seeking: boolean;
  /** 0 (HAVE_NOTHING) until the metadata loaded: a seek then waits for it. */
  readonly readyState: number;
  addEventListener(type: string, fn: () => void, opts?: AddEventListenerOptions): void;
}

export class Seeker {
  private inFlight = false;
  private pending: number | null = null;
  /** Seeks this object started that have not reported "seeked" yet. */
  ownSeeks = 0;
  /** Whether the latest "seeked" event ended a seek of ours (false: the user seeked). */
  lastWasOwn = false;
  /** Number of seeks issued (for tests and diagnostics). */
  issued = 0;

  constructor(private el: SeekTarget, signal?: AbortSignal, private tolerance = 1e-4) {
    el.addEventListener("seeked", () => this.onSeeked(), { signal });
    el.addEventListener("loadedmetadata", () => this.onMetadata(), { signal });
  }

  /** Ask for media time `t` (seconds); applied now, or when the running seek ends. */
  seek(t: number): void {
    if (!Number.isFinite(t)) return;
    // Before the metadata loads a seek would only set where playback starts
    // (no "seeked" follows a seek to 0): it waits for the metadata instead.
    if (this.inFlight || this.el.readyState === 0) {
      this.pending = t;
      return;
    }
    if (Math.abs(this.el.currentTime - t) <= this.tolerance) return;
    this.start(t);
  }

  /** True while a seek this object started is running. */
  get busy(): boolean {
    return this.inFlight;
  }

  private start(t: number): void {
    this.inFlight = true;
    this.ownSeeks++;
    this.issued++;
    this.el.currentTime = t;
  }

  private onMetadata(): void {
    const p = this.pending;
    if (this.inFlight || p === null) return;
    this.pending = null;
    if (Math.abs(this.el.currentTime - p) > this.tolerance) this.start(p);
  }

  private onSeeked(): void {
    // Listeners registered after this one read lastWasOwn to tell our seeks
    // from the user's (media -> series sync must ignore its own echoes).
    this.lastWasOwn = this.inFlight;
    if (!this.inFlight) return;
    this.inFlight = false;
    this.ownSeeks = Math.max(0, this.ownSeeks - 1);
    const p = this.pending;
    this.pending = null;
    if (p !== null && Math.abs(this.el.currentTime - p) > this.tolerance) this.start(p);
  }

}
