/**
 * The data clock: the master clock of one view. Data time (relative seconds
 * since the first sample) runs at `speed` data seconds per second while
 * running, from the instant it was last anchored; every media track follows
 * it on its own mapping. It is anchored on play, pause, seeks and window
 * changes, and published as the root's `data-clock` attribute
 * (`{at, data, speed, running}`, `at` in performance.now() milliseconds) so a
 * test or benchmark can compute the data time at any instant.
 */

export interface ClockAnchor {
  /** performance.now() (ms) of the anchor. */
  at: number;
  /** Data time at the anchor (relative seconds). */
  data: number;
  /** Data seconds per second while running. */
  speed: number;
  running: boolean;
}

export class DataClock {
  private a: ClockAnchor;

  constructor(
    private readonly published: (anchor: ClockAnchor) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.a = { at: now(), data: 0, speed: 1, running: false };
  }

  /** Data time at performance.now() time `at` (ms; default now). */
  time(at: number = this.now()): number {
    const a = this.a;
    return a.running ? a.data + ((at - a.at) / 1000) * a.speed : a.data;
  }

  get running(): boolean {
    return this.a.running;
  }

  get speed(): number {
    return this.a.speed;
  }

  get anchor(): ClockAnchor {
    return { ...this.a };
  }

  /** Re-anchor: data time `data` now (default: where the clock is), with these settings. */
  set(change: { data?: number; running?: boolean; speed?: number }): void {
    const at = this.now();
    const next: ClockAnchor = {
      at,
      data: change.data ?? this.time(at),
      speed: change.speed ?? this.a.speed,
      running: change.running ?? this.a.running,
    };
    const a = this.a;
    if (next.data === a.data && next.speed === a.speed && next.running === a.running && !a.running) return;
    this.a = next;
    this.published({ ...next });
  }
}
