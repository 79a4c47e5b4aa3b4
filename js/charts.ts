/**
 * The detail chart and the overview strip of one view: building them for
 * the data's channels, drawing the window from the best data the per-model
 * state holds (asking it for more, as a client asks a coordinator), the
 * overview, sizes and themes. Overlays (range, playheads, regions) are the
 * view's: it hears through `sized` when a chart's width changed.
 */

import type uPlot from "uplot";
import { withGaps } from "./buffers";
import { makeChart, type Data } from "./chart";
import { chooseDetail, type Chunk } from "./detail";
import type { Sel } from "./range";
import type { ModelState } from "./state";
import type { Theme } from "./theme";
import type { TimeMeta } from "./timefmt";

/** Height of the overview strip (CSS pixels). */
export const OVERVIEW_HEIGHT = 72;

export interface ChartMeta extends TimeMeta {
  n: number;
  span: number;
  channels: string[];
}

export interface ChartsHost {
  meta(): ChartMeta;
  /** Height of the detail chart (CSS pixels). */
  height(): number;
  /** Width both charts should have (CSS pixels). */
  width(): number;
  theme(): Theme;
  /** The window to draw (relative seconds). */
  window(): Sel;
  /** A chart was built or resized: overlays placed from its width must be placed again. */
  sized(): void;
}

export class Charts {
  detail: uPlot | null = null;
  overview: uPlot | null = null;
  private shown: Chunk | null = null;
  /** The detail plot's width when the window was last drawn (pixels). */
  private drawnPx = 0;
  private dead = false;
  /** A pointer went down on one of the charts and has not come up: a drag may move the window. */
  private pressed = false;
  private readonly listening = new AbortController();

  constructor(
    private readonly detailBox: HTMLElement,
    private readonly overviewBox: HTMLElement,
    private readonly st: ModelState,
    private readonly host: ChartsHost,
  ) {
    // Tell the model while a pointer is down on a chart: on a slow link the window a
    // drag ends on is asked for when the pointer comes up, not on every pause (link.ts).
    const signal = this.listening.signal;
    const press = () => {
      if (!this.pressed) this.st.hold(true);
      this.pressed = true;
    };
    for (const box of [detailBox, overviewBox]) box.addEventListener("pointerdown", press, { capture: true, signal });
    const view = detailBox.ownerDocument?.defaultView;
    for (const type of ["pointerup", "pointercancel", "blur"]) view?.addEventListener(type, this.release, { signal });
  }

  private readonly release = (): void => {
    if (this.pressed) this.st.hold(false);
    this.pressed = false;
  };

  /** (Re)build both charts for the current channels and draw what is held. */
  build(): void {
    this.detail?.destroy();
    this.overview?.destroy();
    const meta = this.host.meta();
    const theme = () => this.host.theme();
    const width = this.host.width();
    const sized = this.onSized;
    const valueKind = (i: number) => ({ approx: this.shown?.approx?.[i] ?? 0, float32: this.shown?.ys[i] instanceof Float32Array });
    this.detail = makeChart(this.detailBox, { meta, channels: meta.channels, width, height: this.host.height(), detail: true, theme, sized, valueKind }, this.data(null));
    this.overview = makeChart(this.overviewBox, { meta, channels: meta.channels, width, height: OVERVIEW_HEIGHT, detail: false, theme, sized }, this.data(this.st.overview));
    this.overview.setScale("x", { min: 0, max: meta.span || 1 });
    this.shown = null;
  }

  private data(c: Chunk | null): Data {
    const channels = this.host.meta().channels;
    if (!c) return [new Float64Array(0), ...channels.map(() => new Float64Array(0))];
    return [c.x, ...c.ys.map(withGaps)] as Data;
  }

  /** Draw the window from the best data held (a cached chunk, else the overview) and ask for better. */
  drawDetail(): void {
    const u = this.detail;
    if (!u) return;
    const [lo, hi] = this.host.window();
    const px = u.over.clientWidth || this.host.width();
    this.drawnPx = u.over.clientWidth;
    const { chunk, source } = chooseDetail(this.st.overview, this.st.cache, lo, hi, px);
    if (chunk !== this.shown) {
      this.shown = chunk;
      u.setData(this.data(chunk), false);
    }
    const span = this.host.meta().span;
    u.setScale("x", { min: lo, max: hi > lo ? hi : lo + (span > 0 ? span * 1e-6 : 1e-6) });
    // The plot's height in device pixels: a slow link asks for the value levels it can show.
    const dpr = this.detailBox.ownerDocument?.defaultView?.devicePixelRatio || 1;
    this.st.want(lo, hi, px, (u.over.clientHeight || this.host.height()) * dpr);
    const ds = this.detailBox.dataset;
    ds.source = source;
    ds.lo = String(lo);
    ds.hi = String(hi);
    ds.requests = String(this.st.detailRequests);
    ds.replies = String(this.st.detailReplies);
    // What the measured link allows (link.ts): "fast" or "slow", and the estimate it rests on
    // (latency ms, a window's transfer ms): diagnostics for tests and benchmarks.
    ds.link = this.st.plan(px).slow ? "slow" : "fast";
    const est = this.st.linkEstimate(px);
    ds.linkLatency = est ? est.latencyMs.toFixed(1) : "";
    ds.linkTransfer = est?.transferMs != null ? est.transferMs.toFixed(1) : "";
    // How numbers arrive: "binary" buffers, or "base64" text (chosen, or after buffers broke).
    ds.transport = this.st.channel.base64 ? "base64" : "binary";
    if (this.st.lastError) ds.error = this.st.lastError;
    else delete ds.error;
  }

  /** The detail chart's points of channel `name` as drawn now (relative seconds; null at gaps), or null. */
  series(name: string): { xs: ArrayLike<number>; ys: ArrayLike<number | null> } | null {
    const data = this.detail?.data;
    const i = this.host.meta().channels.indexOf(name);
    if (!data || i < 0 || !data[i + 1]) return null;
    return { xs: data[0] as ArrayLike<number>, ys: data[i + 1] as ArrayLike<number | null> };
  }

  /** The overview changed (new data, or fetched again): draw it, and the window. */
  readonly redrawOverview = (): void => {
    this.overview?.setData(this.data(this.st.overview), false);
    this.overview?.setScale("x", { min: 0, max: this.host.meta().span || 1 });
    this.drawDetail();
  };

  /** Give both charts the host's width (and the detail its height); overlays follow in `sized`. */
  resize(): void {
    const width = this.host.width();
    this.detail?.setSize({ width, height: this.host.height() });
    this.overview?.setSize({ width, height: OVERVIEW_HEIGHT });
  }

  /** Redraw with the host's (new) theme colours. */
  restyle(): void {
    this.detail?.redraw(false, true);
    this.overview?.redraw(false, true);
  }

  /**
   * uPlot applied a new size to chart `u` (a microtask after setSize, and when
   * it is built): the overlays move, and a wider or narrower detail needs data
   * at its new resolution (setScale is not applied from inside uPlot's commit,
   * so the window is drawn afterwards).
   */
  private readonly onSized = (u: uPlot): void => {
    if (this.dead || (u !== this.detail && u !== this.overview)) return;
    this.host.sized();
    if (u === this.detail && u.over.clientWidth !== this.drawnPx) queueMicrotask(() => this.drawDetail());
  };

  destroy(): void {
    this.dead = true;
    this.release();
    this.listening.abort();
    this.detail?.destroy();
    this.overview?.destroy();
    this.detail = null;
    this.overview = null;
  }
}
