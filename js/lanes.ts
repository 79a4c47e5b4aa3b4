/**
 * Waveform lanes: each audio track drawn under the detail chart on the same
 * time axis (data time -> that track's media time), as the min/max envelope
 * the kernel decimates from the decoded audio, so an offset can be checked by
 * eye against the data. One request in flight per lane; the newest window
 * wins, and the envelope held is drawn meanwhile.
 */

import type { Envelope, MediaStore } from "./mediastore";
import type { MediaTrack } from "./mediatrack";
import type { Sel } from "./range";
import { toMedia, type TimeMap } from "./timemap";
import { el } from "./dom";

export interface LanesHost {
  /** The detail window (relative data seconds). */
  window(): Sel;
  /** Where the detail chart's plot is, relative to the lanes' box (CSS px). */
  plot(): { left: number; width: number };
  map(track: MediaTrack): TimeMap;
  /** Colour of the waveform. */
  color(): string;
  /** Whether a kernel answers (a static page has none). */
  kernel: boolean;
}

/** Height of a lane's waveform (CSS px). */
export const LANE_HEIGHT = 44;

interface Lane {
  track: MediaTrack;
  el: HTMLDivElement;
  canvas: HTMLCanvasElement;
  status: HTMLDivElement;
  env: Envelope | null;
  /** A request is in flight. */
  asking: boolean;
}

/** The envelope's min/max over media seconds [a, b), or null when it holds none there. */
export function envelopeRange(env: Envelope, a: number, b: number): [number, number] | null {
  const n = env.lo.length;
  if (b <= env.t0) return null;
  let i0 = Math.floor((a - env.t0) / env.dt);
  let i1 = Math.ceil((b - env.t0) / env.dt);
  i0 = Math.max(0, i0);
  i1 = Math.min(n, Math.max(i1, i0 + 1));
  if (i0 >= n || i1 <= 0) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = i0; i < i1; i++) {
    if (env.lo[i] < lo) lo = env.lo[i];
    if (env.hi[i] > hi) hi = env.hi[i];
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * Whether envelope `env` serves media window [a, b] drawn `px` pixels wide:
 * it covers the window (as far as the media goes) at a pixel's resolution or
 * finer (raw samples are the finest there is).
 */
export function serves(env: Envelope, a: number, b: number, px: number): boolean {
  const end = env.t0 + env.lo.length * env.dt;
  const covers = env.t0 <= Math.max(a, 0) + 1e-9 && end >= Math.min(b, env.duration) - 1e-9;
  return covers && (env.raw || env.dt <= ((b - a) / px) * (1 + 1e-6));
}

export class Lanes {
  readonly box: HTMLDivElement;
  private lanes: Lane[] = [];
  private disposed = false;

  constructor(
    private readonly media: MediaStore,
    private readonly host: LanesHost,
  ) {
    this.box = el("div", "tsv-lanes", "lanes");
  }

  /** One lane per audio track of `tracks`; each takes its track's tile as its header. */
  set(tracks: MediaTrack[]): void {
    this.box.replaceChildren();
    this.lanes = tracks
      .filter((t) => t.kind === "audio")
      .map((track) => {
        const lane = el("div", "tsv-lane", "lane", undefined, this.box);
        lane.dataset.track = track.name;
        lane.append(track.tile);
        const canvas = el("canvas", "tsv-waveform", "waveform", undefined, lane);
        const status = el("div", "tsv-lane-status", "lane-status", undefined, lane);
        return { track, el: lane, canvas, status, env: null, asking: false };
      });
    this.box.hidden = this.lanes.length === 0;
    this.draw();
  }

  /** Draw every lane for the current window, asking the kernel for finer envelopes where needed. */
  draw(): void {
    const plot = this.host.plot();
    for (const lane of this.lanes) {
      lane.canvas.style.marginLeft = `${plot.left}px`;
      this.paint(lane, plot.width);
      this.ask(lane, plot.width);
    }
  }

  private mediaWindow(lane: Lane): [number, number] {
    const [a, b] = this.host.window();
    const m = this.host.map(lane.track);
    return [toMedia(a, m), toMedia(b, m)];
  }

  private ask(lane: Lane, width: number): void {
    if (!this.host.kernel || lane.track.tile.classList.contains("tsv-hidden-track")) {
      lane.status.textContent = this.host.kernel ? "" : "waveform: needs a running kernel";
      return;
    }
    const [a, b] = this.mediaWindow(lane);
    const px = Math.max(1, Math.round(width));
    if (lane.env && serves(lane.env, a, b, px)) return;
    if (lane.asking) return; // the reply checks the window again
    lane.asking = true;
    const pad = (b - a) / 2;
    this.media
      .waveform(lane.track.name, a - pad, b + pad, px * 2)
      .then((got) => {
        lane.asking = false;
        if (this.disposed) return;
        lane.env = got;
        lane.status.textContent = "";
        const plot = this.host.plot();
        this.paint(lane, plot.width);
        this.ask(lane, plot.width); // the window may have moved meanwhile
      })
      .catch((err: unknown) => {
        lane.asking = false;
        if (!this.disposed) lane.status.textContent = `waveform of ${lane.track.name}: ${err instanceof Error ? err.message : String(err)}`;
      });
    if (!lane.env) lane.status.textContent = `decoding the waveform of ${lane.track.name}…`;
  }

  private paint(lane: Lane, width: number): void {
    const c = lane.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(width));
    c.style.width = `${w}px`;
    c.style.height = `${LANE_HEIGHT}px`;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(LANE_HEIGHT * dpr)) c.height = Math.round(LANE_HEIGHT * dpr);
    const g = c.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, LANE_HEIGHT);
    const env = lane.env;
    if (!env) return;
    const [a, b] = this.mediaWindow(lane);
    const per = (b - a) / w;
    const mid = LANE_HEIGHT / 2;
    g.fillStyle = this.host.color();
    for (let x = 0; x < w; x++) {
      const r = envelopeRange(env, a + x * per, a + (x + 1) * per);
      if (!r) continue;
      const top = mid - Math.max(-1, Math.min(1, r[1])) * mid;
      const bottom = mid - Math.max(-1, Math.min(1, r[0])) * mid;
      g.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
  }

  destroy(): void {
    this.disposed = true;
    this.lanes = [];
    this.box.remove();
  }
}
