/**
 * One view's media element: where its bytes come from, seeking with one seek
 * in flight, a per-frame clock while playing, playing a stretch and stepping
 * frames. The view decides what the events mean for the series.
 */

import {
  createMediaElement,
  describeMediaError,
  filesUrl,
  probe,
  readPageConfig,
  safeUrl,
  serverRootFrom,
  type MediaInfo,
} from "./media";
import { Seeker } from "./seeker";
import type { ModelState } from "./state";

export interface PlayerEvents {
  /** Metadata loaded: the duration (seconds) is known. */
  loaded(duration: number): void;
  /** The media time moved: `force` after a seek, otherwise from playback (per frame or timeupdate). */
  time(force: boolean): void;
  /** A seek ended; `own` is false when the user seeked (the media's own controls). */
  seeked(own: boolean): void;
  playing(playing: boolean): void;
  error(text: string): void;
  /** A passing note for the status line ("" clears it). */
  note(text: string): void;
}

export class Player {
  readonly el: HTMLMediaElement;
  private readonly seeker: Seeker;
  private readonly ac = new AbortController();
  private frameHandle: number | null = null;
  /** Media time at which to pause (playing one region), or null. */
  private stopAt: number | null = null;
  /** Seconds per video frame, measured from presented frames; 1/30 until known. */
  frameDuration = 1 / 30;

  constructor(
    private info: MediaInfo,
    private st: ModelState,
    private events: PlayerEvents,
    parentSignal: AbortSignal,
  ) {
    this.el = createMediaElement(info);
    const signal = AbortSignal.any([parentSignal, this.ac.signal]);
    this.seeker = new Seeker(this.el, signal);
    this.bind(signal);
  }

  /** Find the media's URL and start loading it. */
  async start(): Promise<void> {
    const signal = this.ac.signal;
    try {
      const url = await this.resolveUrl(signal);
      if (signal.aborted) return;
      if (url === null) {
        this.events.error(`Media URL of ${this.info.name} is not allowed: only http(s) URLs and files are played.`);
        return;
      }
      this.el.src = url;
    } catch (err) {
      if (!signal.aborted) this.events.error(`Could not load ${this.info.name}: ${String(err)}`);
    }
  }

  private async resolveUrl(signal: AbortSignal): Promise<string | null> {
    const info = this.info;
    if (info.source === "url") return safeUrl(info.url ?? "", document.baseURI);
    if (info.source === "file" && info.path) {
      const cfg = readPageConfig(document);
      const root =
        cfg?.serverRoot ??
        (info.session && cfg?.baseUrl !== undefined ? serverRootFrom(info.session, location.pathname, cfg.baseUrl) : null);
      if (root !== null && root !== undefined && cfg?.baseUrl !== undefined) {
        const url = filesUrl(info.path, root, info.home ?? "", cfg.baseUrl);
        if (url && (await probe(url, signal))) return safeUrl(url, document.baseURI);
      }
    }
    this.events.note(`Loading ${info.name} through the kernel…`);
    const onProgress = (f: number) => this.events.note(`Loading ${info.name} through the kernel: ${Math.round(f * 100)}%`);
    this.st.progress.add(onProgress);
    try {
      return safeUrl(await this.st.mediaBlobUrl(info), document.baseURI);
    } finally {
      this.st.progress.delete(onProgress);
      this.events.note("");
    }
  }

  private bind(signal: AbortSignal): void {
    const el = this.el;
    const on = (type: string, fn: () => void) => el.addEventListener(type, fn, { signal });
    on("loadedmetadata", () => {
      if (Number.isFinite(el.duration)) this.events.loaded(el.duration);
    });
    on("error", () => this.events.error(describeMediaError(this.info, el.error?.code)));
    on("play", () => {
      this.events.playing(true);
      this.startFrameLoop();
    });
    on("pause", () => this.events.playing(false));
    on("ended", () => this.events.playing(false));
    on("timeupdate", () => this.tick(false));
    on("seeked", () => {
      this.events.seeked(this.seeker.lastWasOwn);
      this.tick(true);
    });
  }

  private tick(force: boolean): void {
    const el = this.el;
    if (this.stopAt !== null && !el.paused && el.currentTime >= this.stopAt) {
      el.pause();
      this.stopAt = null;
    }
    this.events.time(force);
  }

  get currentTime(): number {
    return this.el.currentTime;
  }

  get paused(): boolean {
    return this.el.paused;
  }

  /** Seek to media time `t` (seconds); the latest target wins. */
  seek(t: number): void {
    this.seeker.seek(Math.max(0, t));
  }

  /** Play; a browser that blocks playback reports `playing(false)` and a note. */
  play(): void {
    this.el.play().catch((err: unknown) => {
      this.events.playing(false);
      this.events.note(`Playback was blocked by the browser (${String(err)}); press play in the widget.`);
    });
  }

  pause(): void {
    this.el.pause();
  }

  toggle(): void {
    this.stopAt = null;
    if (this.el.paused) this.play();
    else this.pause();
  }

  /** Play from media time `a` and pause at `b`. */
  playBetween(a: number, b: number): void {
    this.seek(a);
    this.stopAt = b;
    this.play();
  }

  /** Pause and step `direction` frames. */
  stepFrames(direction: number): void {
    if (!this.el.paused) this.el.pause();
    this.seek(this.el.currentTime + direction * this.frameDuration);
  }

  private startFrameLoop(): void {
    this.stopFrameLoop();
    const el = this.el;
    // requestVideoFrameCallback fires once per presented frame; timeupdate only at 4-66 Hz.
    if (el instanceof HTMLVideoElement && "requestVideoFrameCallback" in el) {
      let last: number | null = null;
      const tick = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (el.paused || this.ac.signal.aborted) return;
        // Consecutive presented frames differ by one frame (or a few when frames drop).
        if (last !== null && meta.mediaTime > last) this.frameDuration = Math.min(this.frameDuration, meta.mediaTime - last);
        last = meta.mediaTime;
        this.tick(false);
        this.frameHandle = el.requestVideoFrameCallback(tick);
      };
      this.frameHandle = el.requestVideoFrameCallback(tick);
    } else {
      const tick = () => {
        if (el.paused || this.ac.signal.aborted) return;
        this.tick(false);
        this.frameHandle = requestAnimationFrame(tick);
      };
      this.frameHandle = requestAnimationFrame(tick);
    }
  }

  private stopFrameLoop(): void {
    if (this.frameHandle === null) return;
    const el = this.el;
    if (el instanceof HTMLVideoElement && "cancelVideoFrameCallback" in el) el.cancelVideoFrameCallback(this.frameHandle);
    cancelAnimationFrame(this.frameHandle);
    this.frameHandle = null;
  }

  /** Stop, release the media and remove every listener. */
  destroy(): void {
    this.stopFrameLoop();
    this.ac.abort();
    this.el.pause();
    this.el.removeAttribute("src");
    this.el.load();
    this.el.remove();
  }
}
