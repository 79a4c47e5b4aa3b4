/**
 * One view's media element: where its bytes come from, seeking with one seek
 * in flight, a per-frame clock while playing, playing a stretch and stepping
 * frames. The view decides what the events mean for the series.
 */

import type { Host, MediaRoute } from "./hosts/host";
import { audioWarning, createMediaElement, describeMediaError, probe, safeUrl, type MediaInfo } from "./media";
import { MseStream } from "./msestream";
import { Seeker } from "./seeker";
import type { ModelState } from "./state";

export interface PlayerEvents {
  /** Metadata loaded: the duration (seconds) is known. */
  loaded(duration: number): void;
  /** The media time moved: `force` after a seek, otherwise from playback (per frame or timeupdate). */
  time(force: boolean): void;
  /** A seek ended after `seconds`; `own` is false when the user seeked (the media's own controls). */
  seeked(own: boolean, seconds: number): void;
  /** The element started or stopped playing; `own` when this code asked (play(), pause()), not the user. */
  playing(playing: boolean, own: boolean): void;
  /** The user picked playback rate `rate` (the media's own controls). */
  rate(rate: number): void;
  error(text: string): void;
  /** A passing note for the status line ("" clears it). */
  note(text: string): void;
  /** A lasting note about the media that does not stop playback (sound it cannot play). */
  warn(text: string): void;
}

/** Above this size (bytes), a file loaded whole through the kernel gets a hint to stream it instead. */
const LARGE_BYTES = 256 * 1024 * 1024;

export class Player {
  readonly el: HTMLMediaElement;
  private readonly seeker: Seeker;
  private readonly ac = new AbortController();
  private frameHandle: number | null = null;
  /** Rate changes made by setRate() whose ratechange event has not fired yet. */
  private ownRates = 0;
  /** play() and pause() calls whose play/pause event has not fired yet. */
  private ownPlays = 0;
  private ownPauses = 0;
  /** performance.now() when the running seek started. */
  private seekStart = 0;
  /** Seconds per video frame, measured from presented frames; 1/30 until known. */
  frameDuration = 1 / 30;

  /** The fragment streamer, when a fragmented MP4 streams from the kernel. */
  private stream: MseStream | null = null;
  /** The route the media element's URL came from (null until one worked). */
  route: MediaRoute | null = null;

  constructor(
    private info: MediaInfo,
    private host: Host,
    private st: ModelState,
    private events: PlayerEvents,
    parentSignal: AbortSignal,
  ) {
    this.el = createMediaElement(info);
    const signal = AbortSignal.any([parentSignal, this.ac.signal]);
    this.seeker = new Seeker(this.el, signal);
    this.bind(signal);
  }

  /** Find the media's URL (the host's routes, in order) and start loading it. */
  async start(): Promise<void> {
    const signal = this.ac.signal;
    const info = this.info;
    const routes = this.host.mediaRoutes(info);
    try {
      for (const route of routes) {
        const url = await this.urlBy(route, signal);
        if (signal.aborted) return;
        if (url === null) continue;
        this.route = route;
        this.el.src = url;
        return;
      }
      this.events.error(this.unreachable(routes));
    } catch (err) {
      if (!signal.aborted) this.events.error(`Could not load ${info.name}: ${String(err)}`);
    }
  }

  /** Why no route gave a URL (shown as text). */
  private unreachable(routes: MediaRoute[]): string {
    const info = this.info;
    if (info.source === "url") return `Media URL of ${info.name} is not allowed: only http(s) URLs and files are played.`;
    if (!this.host.kernel) {
      return info.source === "file"
        ? `${info.name} is not beside this page: export with media_href= pointing at a URL or a path next to the HTML.`
        : `${info.name} was held in Python and is not part of this page; export with media_href= to point at a copy.`;
    }
    return `No way to load ${info.name} in this page (tried: ${routes.join(", ") || "nothing"}).`;
  }

  /** The URL route `route` gives for this media, or null when it cannot. */
  private async urlBy(route: MediaRoute, signal: AbortSignal): Promise<string | null> {
    const info = this.info;
    const host = this.host;
    switch (route) {
      case "url":
        return safeUrl(info.url ?? "", document.baseURI, host.baseUrl());
      case "relative":
        return info.href ? safeUrl(info.href, document.baseURI, "/", location.protocol === "file:") : null;
      case "server": {
        const url = host.serverUrl(info);
        return url && (await probe(url, signal)) ? safeUrl(url, document.baseURI, host.baseUrl()) : null;
      }
      case "kernel":
        return this.fromKernel();
    }
  }

  private async fromKernel(): Promise<string | null> {
    const info = this.info;
    if (info.fragmented && typeof MediaSource !== "undefined") {
      const url = await this.streamed();
      if (url) return safeUrl(url, document.baseURI, "/");
    }
    // A plain MP4 plays once it is all loaded; say how to stream a large one instead.
    const hint =
      info.size > LARGE_BYTES
        ? ` (${(info.size / 1e9).toFixed(1)} GB: it plays once loaded; a fragmented MP4 streams at once: ffmpeg -i IN -c copy -movflags frag_keyframe+empty_moov+default_base_moof OUT.mp4)`
        : "";
    this.events.note(`Loading ${info.name} through the kernel…${hint}`);
    const onProgress = (track: string, f: number) => {
      if (track === info.track) this.events.note(`Loading ${info.name} through the kernel: ${Math.round(f * 100)}%${hint}`);
    };
    this.st.media.progress.add(onProgress);
    try {
      return safeUrl(await this.st.media.blobUrl(info), document.baseURI, "/");
    } finally {
      this.st.media.progress.delete(onProgress);
      this.events.note("");
    }
  }

  /**
   * A MediaSource URL streaming a fragmented MP4 fragment by fragment, or null
   * when this browser cannot take its codecs (the file is then loaded whole).
   */
  private async streamed(): Promise<string | null> {
    const index = await this.st.media.index(this.info.track);
    if (!MediaSource.isTypeSupported(index.mime)) return null;
    this.stream?.destroy();
    this.stream = new MseStream(this.el, index, (lo, hi) => this.st.media.range(this.info.track, lo, hi), (text) => this.events.error(text), this.ac.signal);
    this.el.dataset.stream = "mse";
    return this.stream.url;
  }

  private bind(signal: AbortSignal): void {
    const el = this.el;
    const on = (type: string, fn: () => void) => el.addEventListener(type, fn, { signal });
    on("loadedmetadata", () => {
      const warning = audioWarning(this.info, (type) => el.canPlayType(type));
      if (warning) this.events.warn(warning);
      if (Number.isFinite(el.duration)) this.events.loaded(el.duration);
    });
    on("error", () => {
      const info = this.info;
      this.events.error(
        this.route === "relative"
          ? `Cannot load ${info.name} from ${info.href ?? ""} beside this page: put the file there, or open the page where it can be reached.`
          : describeMediaError(info, el.error?.code),
      );
    });
    on("play", () => {
      const own = this.ownPlays > 0;
      if (own) this.ownPlays--;
      this.events.playing(true, own);
      this.startFrameLoop();
    });
    on("pause", () => {
      const own = this.ownPauses > 0 || el.ended;
      if (this.ownPauses > 0) this.ownPauses--;
      this.events.playing(false, own);
    });
    on("ratechange", () => {
      if (this.ownRates > 0) this.ownRates--;
      else this.events.rate(el.playbackRate);
    });
    on("timeupdate", () => this.events.time(false));
    on("seeking", () => {
      this.seekStart = performance.now();
    });
    on("seeked", () => {
      this.events.seeked(this.seeker.lastWasOwn, (performance.now() - this.seekStart) / 1000);
      this.events.time(true);
    });
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

  /** True while a seek is running or waiting. */
  get seeking(): boolean {
    return this.seeker.busy || this.el.seeking;
  }

  /** Play (when paused); a browser that blocks playback reports `playing(false)` and a note. */
  play(): void {
    if (!this.el.paused) return;
    this.ownPlays++;
    this.el.play().catch((err: unknown) => {
      this.ownPlays = 0;
      this.events.playing(false, true);
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.events.note(`Playback was blocked by the browser (${String(err)}); press play in the widget.`);
    });
  }

  /** Pause (when playing). */
  pause(): void {
    if (this.el.paused) return;
    this.ownPauses++;
    this.el.pause();
  }

  /** Run at playback rate `rate` (the drift corrector's), telling no one it was the user. */
  setRate(rate: number): void {
    if (!(rate > 0) || Math.abs(this.el.playbackRate - rate) < 1e-6) return;
    this.ownRates++;
    this.el.playbackRate = rate;
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
        this.events.time(false);
        this.frameHandle = el.requestVideoFrameCallback(tick);
      };
      this.frameHandle = el.requestVideoFrameCallback(tick);
    } else {
      const tick = () => {
        if (el.paused || this.ac.signal.aborted) return;
        this.events.time(false);
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
    this.stream?.destroy();
    this.el.pause();
    this.el.removeAttribute("src");
    this.el.load();
    this.el.remove();
  }
}
