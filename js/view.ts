/**
 * One view of the widget: the media pane (tracks, play bar, waveform lanes),
 * detail chart, overview strip with its range, playheads, labeling and the
 * alignment panel with its sync-point markers; kept in step with the model
 * and with each other.
 *
 * Every DOM listener is registered with this view's AbortSignal and every
 * model listener is removed with its own callback in destroy(), so the same
 * widget can be shown twice and each view cleans up exactly its own.
 */

import type { AnyModel } from "@anywidget/types";
import type { Alignment } from "./align";
import { Charts, type ChartMeta } from "./charts";
import type { Labeler } from "./labeling";
import { MediaPane } from "./mediapane";
import { Messages } from "./messages";
import { moveBy, type Sel } from "./range";
import { RangeControl } from "./rangecontrol";
import type { ModelState } from "./state";
import type { Host } from "./hosts/host";
import { bindKeys, type Action } from "./keys";
import { Playheads } from "./playheads";
import { SelectionSync } from "./selectionsync";
import { readTheme, type Theme } from "./theme";
import { formatTime } from "./timefmt";
import { toMedia } from "./timemap";
import { bindWheelZoom } from "./wheelzoom";
import { el as element } from "./dom";
import { makeAlignment, makeLabeler, type ToolView } from "./viewtools";

interface Meta extends ChartMeta {
  time_name: string;
}

export class View {
  private readonly ac = new AbortController();
  private readonly root: HTMLDivElement;
  private readonly detailBox: HTMLDivElement;
  private readonly overviewBox: HTMLDivElement;
  private readonly playheads = new Playheads();
  private readonly msg: Messages;
  private readonly charts: Charts;
  private sel: Sel = [0, 0];
  private theme: Theme;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly modelHandlers: [string, () => void][] = [];
  private readonly range: RangeControl;
  private readonly selSync: SelectionSync;
  private readonly labeler: Labeler;
  private readonly pane: MediaPane;
  private readonly align: Alignment;

  constructor(
    private model: AnyModel,
    private el: HTMLElement,
    private st: ModelState,
    private host: Host,
  ) {
    this.root = element("div", "tsv-root", "root", undefined, el);
    this.root.tabIndex = 0;
    this.msg = new Messages(this.root, () => this.status());
    host.prepareRoot(this.root);
    this.root.dataset.theme = host.isDark() ? "dark" : "light";
    this.pane = new MediaPane(
      model,
      {
        root: this.root,
        window: () => this.sel,
        span: () => this.meta().span,
        syncMode: () => this.syncMode(),
        dragging: () => this.range.dragging,
        follow: (sel) => {
          this.applySelection(sel, "media");
          this.selSync.commit(this.sel, true);
        },
        moved: () => this.positionPlayheads(),
        format: (rel) => formatTime(rel, this.meta()),
        error: (text) => this.msg.showError(text),
        clearError: (text) => this.msg.clearError(text),
        note: (text) => this.msg.setNote(text),
        plot: () => this.plotBox(),
        color: () => this.theme.fg,
      },
      this.ac.signal,
      { st, host },
    );
    this.root.append(this.pane.grid, this.pane.playbar.el);
    this.detailBox = element("div", "tsv-detail", "detail", undefined, this.root);
    this.root.append(this.pane.lanes.box);
    this.overviewBox = element("div", "tsv-overview", "overview", undefined, this.root);
    this.charts = new Charts(this.detailBox, this.overviewBox, st, {
      meta: () => this.meta(),
      height: () => this.model.get("height") as number,
      width: () => this.width(),
      theme: () => this.theme,
      window: () => this.sel,
      sized: () => {
        this.playheads.resized();
        this.positionRange();
        this.positionPlayheads();
        this.labeler?.draw();
        this.pane?.lanes.draw();
        this.align?.draw();
      },
    });
    this.root.append(this.msg.statusLine);
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
    this.theme = readTheme(this.root, host);

    this.sel = this.selSync.get() ?? [0, 0];
    const tools: ToolView = {
      model,
      st,
      host,
      root: this.root,
      signal: this.ac.signal,
      msg: this.msg,
      detailBox: this.detailBox,
      charts: () => this.charts,
      pane: () => this.pane,
      window: () => this.sel,
      span: () => this.meta().span,
      channels: () => this.meta().channels,
      theme: () => this.theme,
      format: (rel) => formatTime(rel, this.meta()),
      plot: () => this.plotBox(),
    };
    this.labeler = makeLabeler(tools, () => this.align);
    this.align = makeAlignment(tools, this.labeler);
    bindKeys(this.root, this.ac.signal, () => (this.model.get("_labels") as { name: string; key?: string | null }[]) ?? [], (a) => this.onAction(a));
    this.buildCharts();
    this.listen();
    this.pane.load();
    this.applySelection(this.sel, "model");
  }

  // -- model access ----------------------------------------------------------------------

  private meta(): Meta {
    return this.model.get("_meta") as Meta;
  }

  /** Where the detail chart's plot is, relative to the root (CSS px). */
  private plotBox(): { left: number; width: number } {
    const over = this.charts?.detail?.over;
    if (!over) return { left: 0, width: this.width() };
    return { left: over.getBoundingClientRect().left - this.root.getBoundingClientRect().left, width: over.clientWidth };
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
    this.playheads.attach(this.charts.detail!.over, this.charts.overview!.over);
    bindWheelZoom(this.charts.detail!.over, this.ac.signal, {
      window: () => this.sel,
      span: () => this.meta().span,
      minWidth: () => this.minWidth(),
      zoomed: (sel) => {
        this.applySelection(sel, "local");
        this.selSync.settle(this.sel);
      },
    });
    this.labeler?.attach();
    this.align?.attach();
  }

  private readonly onDetailArrived = (): void => {
    this.charts.drawDetail();
    this.align?.dataArrived();
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
    if (origin !== "media" && mode !== "off") this.pane.conductor.seekData(sel[0]);
    this.positionPlayheads();
    this.pane.redraw();
    this.labeler?.draw();
    this.align?.draw();
    this.msg.update();
  }

  private positionRange(): void {
    const ov = this.charts.overview;
    if (ov) this.range.place(this.sel, ov.over.clientWidth);
  }

  private positionPlayheads(): void {
    this.playheads.place(this.pane.conductor.playheadTime() ?? NaN, this.sel, this.meta().span);
    this.pane.showClock();
  }

  // -- status -------------------------------------------------------------------------------

  private status(): string[] {
    const meta = this.meta();
    const tm = this.pane.firstMap();
    const parts = [`${meta.n.toLocaleString()} samples × ${meta.channels.length} channels`];
    if (tm && (tm.duration !== null || tm.offset !== null)) parts.push(`window starts at media ${toMedia(this.sel[0], tm).toFixed(3)} s`);
    if (!this.host.kernel) parts.push("static page: regions read-only, detail as embedded");
    return parts;
  }

  // -- wiring ---------------------------------------------------------------------------------

  private onModel(name: string, fn: () => void): void {
    this.model.on(name, fn);
    this.modelHandlers.push([name, fn]);
  }

  private listen(): void {
    this.onModel("change:_meta", () => {
      this.buildCharts();
      this.labeler.rebuildBar();
      this.align.metaChanged();
      this.applySelection(this.selSync.get() ?? this.sel, "model");
    });
    this.onModel("change:_overview", this.charts.redrawOverview);
    this.st.overviewListeners.add(this.charts.redrawOverview);
    this.unsubscribe.push(() => this.st.overviewListeners.delete(this.charts.redrawOverview));
    this.onModel("change:height", () => this.charts.resize());
    for (const name of ["sync", "offset", "rate", "media_duration"]) this.onModel(`change:${name}`, () => this.msg.update());
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
        this.align.draw();
      }),
    );
  }

  // -- actions ---------------------------------------------------------------------------------

  /** Playback and window actions from the keymap; the labeling UI takes the rest. */
  private onAction(a: Action): boolean {
    switch (a.kind) {
      case "play":
        this.pane.conductor.toggle();
        return true;
      case "window":
        this.stepWindow(a.dir);
        return true;
      case "frame":
        this.pane.conductor.stepFrames(a.dir);
        return true;
      case "sync":
        return this.align.syncKey();
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
    this.align.destroy();
    for (const [name, fn] of this.modelHandlers) this.model.off(name, fn);
    for (const fn of this.unsubscribe) fn();
    this.selSync.dispose();
    this.pane.destroy();
    this.charts.destroy();
    this.root.remove();
  }
}
