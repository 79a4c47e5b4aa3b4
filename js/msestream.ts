/**
 * Streaming a fragmented MP4 from the kernel with Media Source Extensions.
 *
 * Where no server can answer Range requests (marimo, Voila, VS Code, Colab),
 * a plain MP4 must be loaded whole before it plays. A fragmented MP4 (remux
 * with `ffmpeg -i IN -c copy -movflags frag_keyframe+empty_moov+default_base_moof OUT.mp4`)
 * needs no such wait: the kernel sends its index (`media-index`: byte range
 * and start time of each fragment), and this class appends the fragments
 * around the playhead to a SourceBuffer as playback and seeks need them,
 * dropping those far behind or ahead. The page holds one fragment at a time
 * and the SourceBuffer a window of about a minute, whatever the file's size.
 */

/** The kernel's `media-index` reply. */
export interface FragmentIndex {
  /** Type and codecs for the SourceBuffer. */
  mime: string;
  /** Byte range [start, end) of the init segment (ftyp + moov). */
  init: [number, number];
  /** Per fragment: byte offset, end offset, media start time (seconds); in time order. */
  fragments: [number, number, number][];
  /** Media seconds from the first fragment's start to the end of the last. */
  duration: number;
}

/** Seconds buffered ahead of the playhead. */
export const AHEAD_S = 30;
/** Seconds kept behind the playhead; older media is removed from the SourceBuffer. */
export const BEHIND_S = 20;

/** Media time range [start, end) of fragment `i`. */
export function fragmentSpan(index: FragmentIndex, i: number): [number, number] {
  const f = index.fragments;
  const end = i + 1 < f.length ? f[i + 1][2] : f[0][2] + index.duration;
  return [f[i][2], end];
}

/** Index of the fragment holding media time `t` (the first one before its start). */
export function fragmentAt(index: FragmentIndex, t: number): number {
  const f = index.fragments;
  let lo = 0;
  let hi = f.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (f[mid][2] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The next fragment to append for playhead `t`: the first not yet appended from `t` to `t + ahead`, or null. */
export function nextFragment(index: FragmentIndex, t: number, appended: ReadonlySet<number>, ahead = AHEAD_S): number | null {
  for (let i = fragmentAt(index, t); i < index.fragments.length; i++) {
    if (fragmentSpan(index, i)[0] >= t + ahead) break;
    if (!appended.has(i)) return i;
  }
  return null;
}

/**
 * What to remove for playhead `t`: the appended fragments that end before
 * `t - behind` or start after `t + 2 * ahead` (whole fragments only, so the
 * one being played is never cut), and the time ranges they cover.
 */
export function evictions(
  index: FragmentIndex,
  t: number,
  appended: ReadonlySet<number>,
  behind = BEHIND_S,
  ahead = AHEAD_S,
): { ranges: [number, number][]; dropped: number[] } {
  const lo = t - behind;
  const hi = t + 2 * ahead;
  const before = [...appended].filter((i) => fragmentSpan(index, i)[1] <= lo);
  const after = [...appended].filter((i) => fragmentSpan(index, i)[0] >= hi);
  const ranges: [number, number][] = [];
  if (before.length) ranges.push([0, Math.max(...before.map((i) => fragmentSpan(index, i)[1]))]);
  if (after.length) ranges.push([Math.min(...after.map((i) => fragmentSpan(index, i)[0])), index.fragments[0][2] + index.duration + 1]);
  return { ranges, dropped: [...before, ...after] };
}

export class MseStream {
  readonly url: string;
  private readonly source = new MediaSource();
  private buffer: SourceBuffer | null = null;
  private readonly appended = new Set<number>();
  private running = false;
  private again = false;
  /** Fragments fetched from the kernel so far (diagnostics and tests). */
  fetched = 0;

  /**
   * `fetch(lo, hi)` gets bytes [lo, hi) of the file from the kernel; `onError`
   * hears what went wrong (as text). Call {@link destroy} when done.
   */
  constructor(
    private readonly el: HTMLMediaElement,
    private readonly index: FragmentIndex,
    private readonly fetch: (lo: number, hi: number) => Promise<Uint8Array>,
    private readonly onError: (text: string) => void,
    private readonly signal: AbortSignal,
  ) {
    this.url = URL.createObjectURL(this.source);
    this.source.addEventListener("sourceopen", () => void this.open(), { once: true, signal });
    for (const type of ["seeking", "timeupdate", "playing"]) el.addEventListener(type, () => this.pump(), { signal });
  }

  private async open(): Promise<void> {
    try {
      const sb = this.source.addSourceBuffer(this.index.mime);
      this.source.duration = this.index.duration;
      const [a, b] = this.index.init;
      await this.append(sb, await this.fetch(a, b));
      this.buffer = sb;
      this.pump();
    } catch (err) {
      if (!this.signal.aborted) this.onError(`Streaming failed: ${String(err)}`);
    }
  }

  /** Append or evict until the window around the playhead is buffered; one loop at a time. */
  private pump(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const sb = this.buffer;
    if (!sb || this.signal.aborted) return;
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.evict(sb);
          const i = nextFragment(this.index, this.el.currentTime, this.appended);
          if (i === null) continue;
          const [lo, hi] = this.index.fragments[i];
          const bytes = await this.fetch(lo, hi);
          if (this.signal.aborted) return;
          this.fetched++;
          await this.append(sb, bytes);
          this.appended.add(i);
          if (this.appended.size === this.index.fragments.length && this.source.readyState === "open") this.source.endOfStream();
          this.again = true;
        } while (this.again && !this.signal.aborted);
      } catch (err) {
        if (!this.signal.aborted) this.onError(`Streaming failed: ${String(err)}`);
      } finally {
        this.running = false;
      }
    })();
  }

  private async evict(sb: SourceBuffer): Promise<void> {
    const { ranges, dropped } = evictions(this.index, this.el.currentTime, this.appended);
    for (const [a, b] of ranges) await this.update(sb, () => sb.remove(a, b));
    for (const i of dropped) this.appended.delete(i);
  }

  private async append(sb: SourceBuffer, bytes: Uint8Array): Promise<void> {
    await this.update(sb, () => sb.appendBuffer(bytes as BufferSource));
  }

  private update(sb: SourceBuffer, op: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        sb.removeEventListener("updateend", done);
        sb.removeEventListener("error", fail);
        resolve();
      };
      const fail = () => {
        sb.removeEventListener("updateend", done);
        sb.removeEventListener("error", fail);
        reject(new Error("the browser refused a fragment"));
      };
      sb.addEventListener("updateend", done);
      sb.addEventListener("error", fail);
      try {
        op();
      } catch (err) {
        sb.removeEventListener("updateend", done);
        sb.removeEventListener("error", fail);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  destroy(): void {
    URL.revokeObjectURL(this.url);
  }
}
