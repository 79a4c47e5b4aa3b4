/**
 * One view of the widget: media element, detail chart, overview strip with
 * its range, playheads; kept in step with the model and with each other.
 *
 * Every DOM listener is registered with this view's AbortSignal and every
 * model listener is removed with its own callback in destroy(), so the same
 * widget can be shown twice and each view cleans up exactly its own.
 */

import type { AnyModel } from "@anywidget/types";
import type uPlot from "uplot";
import { Charts, type ChartMeta } from "./charts";
import type { MediaInfo } from "./media";
import { Labeler } from "./labeling";
import { MediaTrack } from "./mediatrack";
import { moveBy, zoomAround, type Sel } from "./range";
import { RangeControl } from "./rangecontrol";
import type { ModelState } from "./state";
import type { Host } from "./hosts/host";
import { bindKeys, type Action } from "./keys";
import { onPlot, scale, timeAtClient, toPx } from "./scale";
import { SelectionSync } from "./selectionsync";
import { readTheme, type Theme } from "./theme";
import { toMedia, type TimeMap } from "./timemap";

interface Meta extends ChartMeta {
  time_name: string;
}


function div(part: string | null, cls: string, parent?: HTMLElement): HTMLDivElement {
  const d = document.createElement("div");
  if (part) d.dataset.part = part;
  d.className = cls;
  parent?.appendChild(d);
  return d;
}

export class View {
  private readonly ac = new AbortController();
  private readonly root: HTMLDivElement;
  private readonly detailBox: HTMLDivElement;
  private readonly overviewBox: HTMLDivElement;
  private readonly statusLine: HTMLDivElement;
  private readonly playhead: HTMLDivElement;
  private readonly overviewPlayhead: HTMLDivElement;
  private errorBox: HTMLDivElement | null = null;
  private readonly charts: Charts;
  private sel: Sel = [0, 0];
  private theme: Theme;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly modelHandlers: [string, () => void][] = [];
  private readonly range: RangeControl;
  private readonly selSync: SelectionSync;
  private readonly labeler: Labeler;
  private readonly track: MediaTrack;

  constructor(
    private model: AnyModel,
    private el: HTMLElement,
    private st: ModelState,
    private host: Host,
  ) {
    this.root = div("root", "tsv-root", el);
    this.root.tabIndex = 0;
    host.prepareRoot(this.root);
    this.root.dataset.theme = host.isDark() ? "dark" : "light";
    this.track = new MediaTrack(
      model,
      {
        window: () => this.sel,
        span: () => this.meta().span,
        timemap: () => this.timemap(),
        syncMode: () => this.syncMode(),
        dragging: () => this.range.dragging,
        follow: (sel) => {
          this.applySelection(sel, "media");
          this.selSync.commit(this.sel, true);
        },
        moved: () => this.positionPlayheads(),
        error: (text) => this.showError(text),
        clearError: () => this.clearError(),
        note: (text) => this.setStatusNote(text),
      },
      this.ac.signal,
      { st, host },
    );
    this.root.append(this.track.box);
    this.detailBox = div("detail", "tsv-detail", this.root);
    this.overviewBox = div("overview", "tsv-overview", this.root);
    this.charts = new Charts(this.detailBox, this.overviewBox, st, {
      meta: () => this.meta(),
      height: () => this.model.get("height") as number,
      width: () => this.width(),
      theme: () => this.theme,
      window: () => this.sel,
      sized: () => {
        this.positionRange();
        this.positionPlayheads();
        this.labeler?.draw();
      },
    });
    this.statusLine = div("status", "tsv-status", this.root);
    this.range = new RangeControl(
      {
        span: () => this.meta().span,
        window: () => this.sel,
        minWidth: () => this.minWidth(),
        moving: (sel) => {
          this.applySelection(sel, "local");
          this.selSync.commit(this.sel, false);
        },
        moved: () => this.selSync.commit(this.sel, true),
        focus: () => this.root.focus({ preventScroll: true }),
      },
      this.ac.signal,
    );
    this.selSync = new SelectionSync(model, (s) => this.applySelection(s, "model"), () => this.sel, () => this.range.dragging);
    this.playhead = div("playhead", "tsv-playhead", undefined);
    this.overviewPlayhead = div("overview-playhead", "tsv-playhead tsv-overview-playhead", undefined);
    this.theme = readTheme(this.root, host);

    this.sel = this.selSync.get() ?? [0, 0];
    this.labeler = new Labeler({
      model,
      edits: st.edits,
      showError: (text) => this.showError(text),
      clearError: (text) => this.clearError(text),
      root: this.root,
      signal: this.ac.signal,
      editable: host.editable,
      barAnchor: this.detailBox,
      detailOver: () => this.charts.detail?.over ?? null,
      channels: () => this.meta().channels,
      overviewOver: () => this.charts.overview?.over ?? null,
      window: () => this.sel,
      span: () => this.meta().span,
      playheadTime: () => this.track.playheadTime(),
      playing: () => this.track.playing,
      seekData: (rel) => this.track.seekData(rel),
      playRange: (a, b) => this.track.playRange(a, b),
    });
    bindKeys(this.root, this.ac.signal, () => (this.model.get("_labels") as { name: string; key?: string | null }[]) ?? [], (a) => this.onAction(a));
    this.buildCharts();
    this.listen();
    this.loadMedia();
    this.applySelection(this.sel, "model");
  }

  // -- model access ----------------------------------------------------------------------

  private meta(): Meta {
    return this.model.get("_meta") as Meta;
  }

  private timemap(): TimeMap {
    const offset = this.model.get("offset") as number | null;
    return {
      span: this.meta().span,
      duration: (this.model.get("media_duration") as number | null) ?? null,
      offset: offset ?? null,
      rate: (this.model.get("rate") as number) ?? 1,
    };
  }

  private syncMode(): string {
    return this.model.get("sync") as string;
  }

  /** Smallest window width: a few samples, so the detail never zooms into nothing. */
  private minWidth(): number {
    const m = this.meta();
    return m.n > 1 ? Math.max((m.span / (m.n - 1)) * 4, m.span * 1e-9) : 1e-6;
  }

  // -- charts ----------------------------------------------------------------------------

  private width(): number {
    const w = this.root.clientWidth || this.el.clientWidth;
    return Math.max(200, w || 800);
  }

  private buildCharts(): void {
    this.charts.build();
    this.range.attach(this.charts.overview!.over);
    this.charts.overview!.over.appendChild(this.overviewPlayhead);
    this.charts.detail!.over.appendChild(this.playhead);
    this.attachPointerHandlers();
    this.labeler?.attach();
  }

  private readonly onDetailArrived = (): void => {
    this.charts.drawDetail();
  };

  // -- selection --------------------------------------------------------------------------

  /**
   * Show window `sel` everywhere in this view. `origin` says who moved it: a
   * local gesture or the model (seek the media when sync allows), or the media
   * itself (never seek back: that would fight playback).
   */
  private applySelection(sel: Sel, origin: "local" | "model" | "media"): void {
    this.sel = sel;
    this.positionRange();
    this.charts.drawDetail();
    const mode = this.syncMode();
    if (origin !== "media" && mode !== "off") this.track.showWindow(sel[0]);
    this.positionPlayheads();
    this.labeler?.draw();
    this.updateStatus();
  }

  private positionRange(): void {
    const ov = this.charts.overview;
    if (ov) this.range.place(this.sel, ov.over.clientWidth);
  }

  // -- pointer interaction ------------------------------------------------------------------

  private attachPointerHandlers(): void {
    const signal = this.ac.signal;
    const dover = this.charts.detail!.over;
    dover.addEventListener("wheel", (e) => this.onDetailWheel(e, dover), { signal, passive: false });
  }

  private onDetailWheel(e: WheelEvent, over: HTMLElement): void {
    // Plain wheel scrolls the notebook; Ctrl/Cmd+wheel (and pinch) zooms the window.
    if (!(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    const at = timeAtClient(over, this.sel[0], this.sel[1], e.clientX);
    const factor = Math.pow(1.0015, e.deltaY);
    this.applySelection(zoomAround(this.sel, at, factor, this.meta().span, this.minWidth()), "local");
    this.selSync.settle(this.sel);
  }

  // -- media --------------------------------------------------------------------------------

  private loadMedia(): void {
    const info = this.model.get("_media") as MediaInfo | null;
    this.track.load(info);
    this.root.classList.toggle("tsv-audio", info?.kind === "audio");
  }

  private positionPlayheads(): void {
    const rel = this.track.playheadTime() ?? NaN;
    this.placeLine(this.playhead, this.charts.detail, rel);
    this.placeLine(this.overviewPlayhead, this.charts.overview, rel);
    this.playhead.dataset.time = Number.isFinite(rel) ? String(rel) : "";
  }

  private placeLine(line: HTMLElement, u: uPlot | null, rel: number): void {
    if (!u || !Number.isFinite(rel)) {
      line.hidden = true;
      return;
    }
    // uPlot applies setScale in a microtask, so its own scale may still be the
    // old window here: place the line from the window this view has just set.
    const [lo, hi] = u === this.charts.detail ? this.sel : [0, this.meta().span];
    const sc = scale(lo, hi, u.over.clientWidth);
    line.hidden = !onPlot(sc, rel);
    line.style.left = `${toPx(sc, rel)}px`;
  }

  // -- messages, status -----------------------------------------------------------------------

  private showError(text: string): void {
    if (!this.errorBox) {
      this.errorBox = div("error", "tsv-error", undefined);
      this.errorBox.setAttribute("role", "alert");
      this.root.insertBefore(this.errorBox, this.root.firstChild);
    }
    this.errorBox.textContent = text;
  }

  /** Remove the error box; with `text`, only while it still shows that text. */
  private clearError(text?: string): void {
    if (text !== undefined && this.errorBox?.textContent !== text) return;
    this.errorBox?.remove();
    this.errorBox = null;
  }

  private statusNote = "";

  private setStatusNote(note: string): void {
    this.statusNote = note;
    this.updateStatus();
  }

  private updateStatus(): void {
    const meta = this.meta();
    const tm = this.timemap();
    const parts = [`${meta.n.toLocaleString()} samples × ${meta.channels.length} channels`];
    if (tm.duration !== null) parts.push(`window starts at media ${toMedia(this.sel[0], tm).toFixed(3)} s`);
    if (!this.host.kernel) parts.push("static page: regions read-only, detail as embedded");
    if (this.statusNote) parts.push(this.statusNote);
    this.statusLine.textContent = parts.join(" · ");
  }

  // -- wiring ---------------------------------------------------------------------------------

  private onModel(name: string, fn: () => void): void {
    this.model.on(name, fn);
    this.modelHandlers.push([name, fn]);
  }

  private listen(): void {
    this.onModel("change:_media", () => this.loadMedia());
    this.onModel("change:_meta", () => {
      this.buildCharts();
      this.labeler.rebuildBar();
      this.applySelection(this.selSync.get() ?? this.sel, "model");
    });
    this.onModel("change:_overview", this.charts.redrawOverview);
    this.st.overviewListeners.add(this.charts.redrawOverview);
    this.unsubscribe.push(() => this.st.overviewListeners.delete(this.charts.redrawOverview));
    this.onModel("change:height", () => this.charts.resize());
    const remap = () => {
      this.applySelection(this.sel, "model");
    };
    this.onModel("change:offset", remap);
    this.onModel("change:rate", remap);
    this.onModel("change:sync", () => this.updateStatus());
    this.onModel("change:media_duration", () => {
      this.positionPlayheads();
      this.updateStatus();
    });
    this.st.listeners.add(this.onDetailArrived);
    this.unsubscribe.push(() => this.st.listeners.delete(this.onDetailArrived));

    const ro = new ResizeObserver(() => this.charts.resize());
    ro.observe(this.root);
    this.unsubscribe.push(() => ro.disconnect());
    this.unsubscribe.push(
      this.host.onThemeChange(() => {
        this.root.dataset.theme = this.host.isDark() ? "dark" : "light";
        this.theme = readTheme(this.root, this.host);
        this.charts.restyle();
      }),
    );
  }

  // -- actions ---------------------------------------------------------------------------------

  /** Playback and window actions from the keymap; the labeling UI takes the rest. */
  private onAction(a: Action): boolean {
    switch (a.kind) {
      case "play":
        this.track.toggle();
        return true;
      case "window":
        this.stepWindow(a.dir);
        return true;
      case "frame":
        this.track.stepFrames(a.dir);
        return true;
      default:
        return this.labeler.onAction(a);
    }
  }

  private stepWindow(direction: number): void {
    const w = this.sel[1] - this.sel[0];
    this.applySelection(moveBy(this.sel, direction * w, this.meta().span), "local");
    this.selSync.commit(this.sel, true);
  }

  destroy(): void {
    this.ac.abort();
    this.labeler.destroy();
    for (const [name, fn] of this.modelHandlers) this.model.off(name, fn);
    for (const fn of this.unsubscribe) fn();
    this.selSync.dispose();
    this.track.destroy();
    this.charts.destroy();
    this.root.remove();
  }
}
