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
import { withGaps } from "./buffers";
import { makeChart, type Data } from "./chart";
import type { Chunk } from "./detail";
import type { MediaInfo } from "./media";
import { Player } from "./player";
import { Labeler } from "./labeling";
import { MediaTimeSync } from "./mediatime";
import { jumpTo, moveBy, resizeEdge, zoomAround, type Sel } from "./range";
import type { ModelState } from "./state";
import type { Host } from "./hosts/host";
import { readTheme, type Theme } from "./theme";
import type { TimeMeta } from "./timefmt";
import { toData, toMedia, type TimeMap } from "./timemap";

interface Meta extends TimeMeta {
  n: number;
  span: number;
  channels: string[];
  time_name: string;
}

const OVERVIEW_HEIGHT = 72;
/** Save the selection to the kernel at most this often while dragging (ms). */
const SAVE_INTERVAL_MS = 100;
/** Below this width (pixels) the range gets a wider body to grab and its handles move outside. */
const NARROW_RANGE_PX = 20;

function div(part: string | null, cls: string, parent?: HTMLElement): HTMLDivElement {
  const d = document.createElement("div");
  if (part) d.dataset.part = part;
  d.className = cls;
  parent?.appendChild(d);
  return d;
}

function near(a: number, b: number, eps = 1e-9): boolean {
  return Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));
}

export class View {
  private readonly ac = new AbortController();
  private readonly root: HTMLDivElement;
  private readonly mediaBox: HTMLDivElement;
  private readonly detailBox: HTMLDivElement;
  private readonly overviewBox: HTMLDivElement;
  private readonly statusLine: HTMLDivElement;
  private readonly rangeEl: HTMLDivElement;
  private readonly playhead: HTMLDivElement;
  private readonly overviewPlayhead: HTMLDivElement;
  private errorBox: HTMLDivElement | null = null;
  private detail: uPlot | null = null;
  private overview: uPlot | null = null;
  private detailChunk: Chunk | null = null;
  /** The detail plot's width when the window was last drawn (pixels). */
  private detailPx = 0;
  private player: Player | null = null;
  private sel: Sel = [0, 0];
  private dragging = false;
  private theme: Theme;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly modelHandlers: [string, () => void][] = [];
  private lastSave = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private recentSel: Sel[] = [];
  private followNextSeek = false;
  private readonly labeler: Labeler;
  private readonly mediaTime: MediaTimeSync;

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
    this.mediaBox = div(null, "tsv-media", this.root);
    this.detailBox = div("detail", "tsv-detail", this.root);
    this.overviewBox = div("overview", "tsv-overview", this.root);
    this.statusLine = div("status", "tsv-status", this.root);
    this.rangeEl = div("range", "tsv-range", undefined);
    div("range-start", "tsv-handle tsv-handle-start", this.rangeEl);
    div("range-end", "tsv-handle tsv-handle-end", this.rangeEl);
    this.playhead = div("playhead", "tsv-playhead", undefined);
    this.overviewPlayhead = div("overview-playhead", "tsv-playhead tsv-overview-playhead", undefined);
    this.theme = readTheme(this.root, host);

    this.sel = this.modelSelection() ?? [0, 0];
    this.mediaTime = new MediaTimeSync(model, () => this.player, () => {
      this.followNextSeek = this.syncMode() === "both";
    });
    this.labeler = new Labeler({
      model,
      edits: st.edits,
      showError: (text) => this.showError(text),
      clearError: (text) => this.clearError(text),
      root: this.root,
      signal: this.ac.signal,
      editable: host.editable,
      barAnchor: this.detailBox,
      detailOver: () => this.detail?.over ?? null,
      channels: () => this.meta().channels,
      overviewOver: () => this.overview?.over ?? null,
      window: () => this.sel,
      span: () => this.meta().span,
      playheadTime: () => this.playheadTime(),
      playing: () => !!this.player && !this.player.paused,
      seekData: (rel) => this.seekData(rel),
      playRange: (a, b) => this.player?.playBetween(toMedia(a, this.timemap()), toMedia(b, this.timemap())),
      togglePlay: () => this.player?.toggle(),
      stepWindow: (dir) => this.stepWindow(dir),
      stepFrame: (dir) => {
        this.followNextSeek = this.syncMode() === "both";
        this.player?.stepFrames(dir);
      },
    });
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

  private modelSelection(): Sel | null {
    const s = this.model.get("selection") as [number, number] | null;
    return s && s.length === 2 ? [Number(s[0]), Number(s[1])] : null;
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
    this.detail?.destroy();
    this.overview?.destroy();
    const meta = this.meta();
    const theme = () => this.theme;
    const empty: Data = [new Float64Array(0), ...meta.channels.map(() => new Float64Array(0))];
    const width = this.width();
    const sized = this.onChartSized;
    this.detail = makeChart(this.detailBox, { meta, channels: meta.channels, width, height: this.model.get("height") as number, detail: true, theme, sized }, empty);
    this.overview = makeChart(this.overviewBox, { meta, channels: meta.channels, width, height: OVERVIEW_HEIGHT, detail: false, theme, sized }, this.chunkData(this.st.overview));
    this.overview.setScale("x", { min: 0, max: meta.span || 1 });
    this.overview.over.appendChild(this.rangeEl);
    this.overview.over.appendChild(this.overviewPlayhead);
    this.detail.over.appendChild(this.playhead);
    this.detailChunk = null;
    this.attachPointerHandlers();
    this.labeler?.attach();
  }

  private chunkData(c: Chunk | null): Data {
    const meta = this.meta();
    if (!c) return [new Float64Array(0), ...meta.channels.map(() => new Float64Array(0))];
    return [c.x, ...c.ys.map(withGaps)] as Data;
  }

  /** Draw the detail window from the best data held: a cached chunk, else the overview. */
  private drawDetail(): void {
    if (!this.detail) return;
    const [lo, hi] = this.sel;
    const px = this.detail.over.clientWidth || this.width();
    this.detailPx = this.detail.over.clientWidth;
    // Good enough for this width, else the finest chunk that covers the window
    // (a zoom beyond the prefetch), else the overview, until the kernel answers.
    const ov = this.st.overview;
    const good = ov && ov.bucket <= 1 ? ov : this.st.cache.find(lo, hi, px);
    const coarse = good ? null : this.st.cache.covering(lo, hi);
    const chunk = good ?? coarse ?? this.st.overview;
    if (chunk !== this.detailChunk) {
      this.detailChunk = chunk;
      this.detail.setData(this.chunkData(chunk), false);
    }
    const span = this.meta().span;
    const max = hi > lo ? hi : lo + (span > 0 ? span * 1e-6 : 1e-6);
    this.detail.setScale("x", { min: lo, max });
    this.st.want(lo, hi, px);
    const ds = this.detailBox.dataset;
    ds.source = good ? "detail" : coarse ? "coarse" : "overview";
    ds.lo = String(lo);
    ds.hi = String(hi);
    ds.requests = String(this.st.detailRequests);
    ds.replies = String(this.st.detailReplies);
    // How numbers arrive: "binary" buffers, or "base64" text (chosen, or after buffers broke).
    ds.transport = this.st.channel.base64 ? "base64" : "binary";
    if (this.st.lastError) ds.error = this.st.lastError;
    else delete ds.error;
  }

  private redrawOverview = (): void => {
    this.overview?.setData(this.chunkData(this.st.overview), false);
    this.overview?.setScale("x", { min: 0, max: this.meta().span || 1 });
    this.drawDetail();
  };

  private onDetailArrived = (): void => {
    this.drawDetail();
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
    this.drawDetail();
    const mode = this.syncMode();
    if (origin !== "media" && mode !== "off" && this.player && this.model.get("media_duration") != null) {
      this.player.seek(toMedia(sel[0], this.timemap()));
    }
    this.positionPlayheads();
    this.labeler?.draw();
    this.updateStatus();
  }

  /** Store the window in the model; saved at most every SAVE_INTERVAL_MS, and at once when final. */
  private commitSelection(final: boolean): void {
    const sel: Sel = [this.sel[0], this.sel[1]];
    this.model.set("selection", sel);
    const now = performance.now();
    const save = () => {
      this.saveTimer = null;
      this.lastSave = performance.now();
      const cur = this.model.get("selection") as Sel;
      this.recentSel = [...this.recentSel.slice(-7), [cur[0], cur[1]]];
      this.model.save_changes();
    };
    if (final || now - this.lastSave >= SAVE_INTERVAL_MS) {
      if (this.saveTimer) clearTimeout(this.saveTimer);
      save();
    } else if (!this.saveTimer) {
      this.saveTimer = setTimeout(save, SAVE_INTERVAL_MS - (now - this.lastSave));
    }
  }

  private onModelSelection = (): void => {
    const s = this.modelSelection();
    if (!s || this.dragging) return;
    if (near(s[0], this.sel[0]) && near(s[1], this.sel[1])) return;
    // The kernel echoes what this view sent; a stale echo must not pull the range back.
    if (this.recentSel.some((r) => near(r[0], s[0], 1e-7) && near(r[1], s[1], 1e-7))) return;
    this.applySelection(s, "model");
  };

  private positionRange(): void {
    if (!this.overview) return;
    const u = this.overview;
    const left = u.valToPos(this.sel[0], "x");
    const right = u.valToPos(this.sel[1], "x");
    this.rangeEl.style.left = `${left}px`;
    this.rangeEl.style.width = `${Math.max(right - left, 2)}px`;
    this.rangeEl.classList.toggle("tsv-range-narrow", right - left < NARROW_RANGE_PX);
  }

  // -- pointer interaction ------------------------------------------------------------------

  private attachPointerHandlers(): void {
    const signal = this.ac.signal;
    const over = this.overview!.over;
    over.addEventListener("pointerdown", (e) => this.onOverviewPointerDown(e, over), { signal });
    const dover = this.detail!.over;
    dover.addEventListener("wheel", (e) => this.onDetailWheel(e, dover), { signal, passive: false });
  }

  private onOverviewPointerDown(e: PointerEvent, over: HTMLElement): void {
    if (e.button !== 0) return;
    const u = this.overview!;
    const span = this.meta().span;
    const part = (e.target as HTMLElement).dataset?.part;
    const x0 = e.clientX;
    const rect = over.getBoundingClientRect();
    const timeAt = (clientX: number) => u.posToVal(clientX - rect.left, "x");
    let start: Sel = [this.sel[0], this.sel[1]];
    let mode: "move" | "start" | "end" = "move";
    if (part === "range-start") mode = "start";
    else if (part === "range-end") mode = "end";
    else if (part !== "range") {
      // A click outside the range jumps it there; keep holding to drag on.
      start = jumpTo(start, timeAt(e.clientX), span);
      this.applySelection(start, "local");
      this.commitSelection(false);
    }
    e.preventDefault();
    over.setPointerCapture(e.pointerId);
    this.dragging = true;
    this.root.focus({ preventScroll: true });
    const move = (ev: PointerEvent) => {
      let next: Sel;
      if (mode === "move") {
        const dt = timeAt(ev.clientX) - timeAt(x0);
        next = moveBy(start, dt, span);
      } else {
        next = resizeEdge(start, mode, timeAt(ev.clientX), span, this.minWidth());
      }
      this.applySelection(next, "local");
      this.commitSelection(false);
    };
    const moveAc = new AbortController();
    const end = () => {
      moveAc.abort();
      this.dragging = false;
      this.commitSelection(true);
    };
    const opts = { signal: AbortSignal.any([this.ac.signal, moveAc.signal]) };
    over.addEventListener("pointermove", move, opts);
    over.addEventListener("pointerup", end, opts);
    over.addEventListener("pointercancel", end, opts);
  }

  private onDetailWheel(e: WheelEvent, over: HTMLElement): void {
    // Plain wheel scrolls the notebook; Ctrl/Cmd+wheel (and pinch) zooms the window.
    if (!(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    const u = this.detail!;
    const at = u.posToVal(e.clientX - over.getBoundingClientRect().left, "x");
    const factor = Math.pow(1.0015, e.deltaY);
    this.applySelection(zoomAround(this.sel, at, factor, this.meta().span, this.minWidth()), "local");
    this.commitSelection(false);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.commitSelection(true), SAVE_INTERVAL_MS);
  }

  // -- media --------------------------------------------------------------------------------

  private loadMedia(): void {
    this.player?.destroy();
    this.player = null;
    const info = this.model.get("_media") as MediaInfo | null;
    this.mediaBox.hidden = !info;
    if (!info) return;
    const player = new Player(info, this.host, this.st, {
      loaded: (duration) => {
        this.clearError();
        this.model.set("media_duration", duration);
        this.model.save_changes();
        if (this.syncMode() !== "off") player.seek(toMedia(this.sel[0], this.timemap()));
        this.positionPlayheads();
      },
      time: (force) => this.onMediaTime(force),
      seeked: (own) => {
        const follow = this.followNextSeek || (!own && this.syncMode() === "both");
        this.followNextSeek = false;
        if (follow) this.followMedia(true);
      },
      playing: (p) => this.reportPlaying(p),
      error: (text) => this.showError(text),
      note: (text) => this.setStatusNote(text),
      warn: (text) => {
        const note = div("media-note", "tsv-media-note", this.mediaBox);
        note.setAttribute("role", "note");
        note.textContent = text;
      },
    }, this.ac.signal);
    this.player = player;
    this.mediaBox.replaceChildren(player.el);
    this.root.classList.toggle("tsv-audio", info.kind === "audio");
    void player.start();
  }

  private reportPlaying(p: boolean): void {
    if (this.model.get("playing") !== p) {
      this.model.set("playing", p);
      this.model.save_changes();
    }
  }

  private onModelPlaying = (): void => {
    const player = this.player;
    if (!player) return;
    const want = this.model.get("playing") as boolean;
    if (want && player.paused) player.play();
    else if (!want && !player.paused) player.pause();
  };

  private onMediaTime(force = false): void {
    const player = this.player;
    if (!player) return;
    this.positionPlayheads();
    if (this.syncMode() === "both" && !player.paused) this.followMedia(false);
    this.mediaTime.report(force);
  }

  /**
   * Media -> series: after a seek the window starts at the playhead; during
   * playback the window pages forward when the playhead leaves it.
   */
  private followMedia(seeked: boolean): void {
    const player = this.player;
    if (!player || this.dragging) return;
    const rel = toData(player.currentTime, this.timemap());
    const [a, b] = this.sel;
    if (!seeked && rel >= a && rel <= b) return;
    const next = moveBy([rel, rel + (b - a)], 0, this.meta().span);
    if (near(next[0], a) && near(next[1], b)) return;
    this.applySelection(next, "media");
    this.commitSelection(true);
  }

  private positionPlayheads(): void {
    const player = this.player;
    const known = player && this.model.get("media_duration") != null && Number.isFinite(player.currentTime);
    const rel = known ? toData(player!.currentTime, this.timemap()) : NaN;
    this.placeLine(this.playhead, this.detail, rel);
    this.placeLine(this.overviewPlayhead, this.overview, rel);
    this.playhead.dataset.time = Number.isFinite(rel) ? String(rel) : "";
  }

  private placeLine(line: HTMLElement, u: uPlot | null, rel: number): void {
    if (!u || !Number.isFinite(rel)) {
      line.hidden = true;
      return;
    }
    // uPlot applies setScale in a microtask, so valToPos may still see the old
    // window here: place the line from the window this view has just set.
    const [lo, hi] = u === this.detail ? this.sel : [0, this.meta().span];
    const w = u.over.clientWidth;
    const x = hi > lo ? ((rel - lo) / (hi - lo)) * w : 0;
    line.hidden = !(x >= -0.5 && x <= w + 0.5);
    line.style.left = `${x}px`;
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
    this.onModel("change:selection", this.onModelSelection);
    this.onModel("change:playing", this.onModelPlaying);
    this.onModel("change:media_time", this.mediaTime.onModelMediaTime);
    this.onModel("change:_media", () => this.loadMedia());
    this.onModel("change:_meta", () => {
      this.buildCharts();
      this.labeler.rebuildBar();
      this.applySelection(this.modelSelection() ?? this.sel, "model");
    });
    this.onModel("change:_overview", this.redrawOverview);
    this.st.overviewListeners.add(this.redrawOverview);
    this.unsubscribe.push(() => this.st.overviewListeners.delete(this.redrawOverview));
    this.onModel("change:height", () => this.resize());
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

    const ro = new ResizeObserver(() => this.resize());
    ro.observe(this.root);
    this.unsubscribe.push(() => ro.disconnect());
    this.unsubscribe.push(
      this.host.onThemeChange(() => {
        this.root.dataset.theme = this.host.isDark() ? "dark" : "light";
        this.theme = readTheme(this.root, this.host);
        this.detail?.redraw(false, true);
        this.overview?.redraw(false, true);
      }),
    );
  }

  /** Resize both charts; the overlays follow in onChartSized, once uPlot has applied the size. */
  private resize(): void {
    const width = this.width();
    this.detail?.setSize({ width, height: this.model.get("height") as number });
    this.overview?.setSize({ width, height: OVERVIEW_HEIGHT });
  }

  /**
   * uPlot applied a new size to chart `u` (a microtask after setSize, and when
   * it is built): place everything drawn from the plot's width again.
   */
  private onChartSized = (u: uPlot): void => {
    if (this.ac.signal.aborted || (u !== this.detail && u !== this.overview)) return;
    this.positionRange();
    this.positionPlayheads();
    this.labeler?.draw();
    // The detail's resolution depends on its width; setScale is not applied
    // from inside uPlot's commit, so ask for the window afterwards.
    if (u === this.detail && u.over.clientWidth !== this.detailPx) queueMicrotask(() => this.drawDetail());
  };

  // -- actions the labeling UI asks for ----------------------------------------------------------

  private playheadTime(): number | null {
    const player = this.player;
    if (!player || this.model.get("media_duration") == null) return null;
    return toData(player.currentTime, this.timemap());
  }

  private seekData(rel: number): void {
    this.followNextSeek = this.syncMode() === "both";
    this.player?.seek(toMedia(rel, this.timemap()));
  }

  private stepWindow(direction: number): void {
    const w = this.sel[1] - this.sel[0];
    this.applySelection(moveBy(this.sel, direction * w, this.meta().span), "local");
    this.commitSelection(true);
  }

  destroy(): void {
    this.ac.abort();
    this.labeler.destroy();
    for (const [name, fn] of this.modelHandlers) this.model.off(name, fn);
    for (const fn of this.unsubscribe) fn();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.player?.destroy();
    this.detail?.destroy();
    this.overview?.destroy();
    this.root.remove();
  }
}
