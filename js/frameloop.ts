/** Runs a function once per animation frame while started (one pending frame at most). */

export class FrameLoop {
  private handle: number | null = null;

  /** `step` runs each frame; it returns false to stop the loop. */
  constructor(private readonly step: () => boolean) {}

  get running(): boolean {
    return this.handle !== null;
  }

  start(): void {
    if (this.handle !== null) return;
    const frame = () => {
      this.handle = null;
      if (this.step()) this.handle = requestAnimationFrame(frame);
    };
    this.handle = requestAnimationFrame(frame);
  }

  stop(): void {
    if (this.handle !== null) cancelAnimationFrame(this.handle);
    this.handle = null;
  }
}
