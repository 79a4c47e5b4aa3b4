/**
 * The labeling UI of one view: the label bar, regions drawn over the detail
 * chart and the overview, mouse editing and keyboard shortcuts.
 *
 * Pure editing logic lives in regions.ts; this module turns gestures into
 * operations and hands them to the model's pending-edit store (pending.ts),
 * which draws them at once, delivers them to the kernel and keeps the undo
 * history. Every string from labels or data is set with textContent.
 */

import type { AnyModel } from "@anywidget/types";
import type { PendingEdits } from "./pending";
import {
  assignLanes,
  createRegion,
  hitTest,
  moveRegion,
  resizeRegion,
  toggleLive,
  visible,
  type Hit,
  type Op,
  type Region,
} from "./regions";
import type { Action } from "./keys";
import { LabelBar, type LabelInfo } from "./labelbar";
import { detailNodes, overviewNodes } from "./regionlayer";
import { SaveStatus, type ErrorBox } from "./savestatus";
import { elementScale, scale, seconds, timeAtClient } from "./scale";

/** Half-width, in CSS pixels, of the zone that grabs a region's edge or a point event. */
const EDGE_GRAB_PX = 4;


/** What the labeling UI needs from its view (showError/clearError: the view's error box). */
export interface LabelHost extends ErrorBox {
  model: AnyModel;
  /** The model's pending-edit store, shared by its views. */
  edits: PendingEdits;
  root: HTMLElement;
  signal: AbortSignal;
  /** False where regions are shown read-only (a static page): nothing is drawn, moved or deleted. */
  editable: boolean;
  /** Container the label bar is inserted before. */
  barAnchor: HTMLElement;
  detailOver(): HTMLElement | null;
  /** Names of the plotted channels. */
  channels(): string[];
  overviewOver(): HTMLElement | null;
  window(): [number, number];
  span(): number;
  /** Data time (relative seconds) of the playhead, or null without media. */
  playheadTime(): number | null;
  playing(): boolean;
  seekData(rel: number): void;
  playRange(a: number, b: number): void;
}

export const LABEL_PALETTE = ["#e15759", "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f"];


function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, part?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (part) e.dataset.part = part;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Labeler {
  private readonly bar: LabelBar;
  private readonly detailLayer: HTMLDivElement;
  private readonly overviewLayer: HTMLDivElement;
  private readonly status: SaveStatus;
  private readonly unsubscribe: () => void;
  private selected: string | null = null;
  private live = new Map<string, number>();
  /** A region being drawn or dragged, shown in place of its committed version. */
  private preview: Region | null = null;
  private onRegions = () => this.draw();
  private onLabels = () => this.buildBar();

  /** Rebuild the label bar (labels or channels changed). */
  rebuildBar(): void {
    this.buildBar();
  }

  constructor(private host: LabelHost) {
    this.bar = new LabelBar({
      signal: host.signal,
      editable: host.editable,
      labels: () => this.labels(),
      channels: () => host.channels(),
      color: (label) => this.color(label),
      pick: (name) => this.pickLabel(name),
      playSelected: () => this.playSelected(),
      deleteSelected: () => this.deleteSelected(),
      undo: () => host.edits.undo(),
      redo: () => host.edits.redo(),
      focus: () => host.root.focus({ preventScroll: true }),
    });
    this.detailLayer = el("div", "tsv-regions", "regions");
    this.overviewLayer = el("div", "tsv-regions tsv-overview-regions", "overview-regions");
    this.status = new SaveStatus(host.edits, host);
    host.barAnchor.parentElement!.insertBefore(this.bar.el, host.barAnchor);
    host.barAnchor.parentElement!.insertBefore(this.status.el, host.barAnchor);
    host.barAnchor.parentElement!.insertBefore(this.bar.help, host.barAnchor);
    this.buildBar();
    host.model.on("change:regions", this.onRegions);
    host.model.on("change:_labels", this.onLabels);
    this.unsubscribe = host.edits.subscribe({ change: this.onRegions });
  }

  /** Re-attach the layers after the charts were rebuilt, and hook pointer input. */
  attach(): void {
    const over = this.host.detailOver();
    const oover = this.host.overviewOver();
    if (over) {
      over.appendChild(this.detailLayer);
      const signal = this.host.signal;
      over.addEventListener("pointerdown", (e) => this.onPointerDown(e, over), { signal });
      over.addEventListener("dblclick", (e) => this.onDoubleClick(e, over), { signal });
      over.addEventListener("pointermove", (e) => {
        if (e.buttons || this.labels().length === 0) return;
        const hit = this.hitAt(e, over);
        over.style.cursor = !hit ? "crosshair" : hit.part === "body" ? "move" : "ew-resize";
      }, { signal });
    }
    if (oover) oover.insertBefore(this.overviewLayer, oover.firstChild);
    this.draw();
  }

  destroy(): void {
    this.host.model.off("change:regions", this.onRegions);
    this.host.model.off("change:_labels", this.onLabels);
    this.unsubscribe();
    this.status.destroy();
    this.bar.remove();
    this.detailLayer.remove();
    this.overviewLayer.remove();
  }

  // -- model --------------------------------------------------------------------------------

  private labels(): LabelInfo[] {
    return (this.host.model.get("_labels") as LabelInfo[] | null) ?? [];
  }

  /** The regions shown: the kernel's with the edits it has not acknowledged yet. */
  regions(): Region[] {
    return this.host.edits.regions();
  }

  color(label: string): string {
    const labels = this.labels();
    const i = labels.findIndex((l) => l.name === label);
    if (i >= 0 && labels[i].color) return labels[i].color!;
    return LABEL_PALETTE[(i >= 0 ? i : labels.length) % LABEL_PALETTE.length];
  }

  /** Make an edit: the store shows it (its change event redraws), records it and delivers it. */
  private commit(op: Op): void {
    if (!this.host.editable) return;
    this.host.edits.edit(op);
  }

  // -- label bar ------------------------------------------------------------------------------

  private buildBar(): void {
    this.bar.build();
    this.updateBar();
  }

  private updateBar(): void {
    const edits = this.host.edits;
    const selected = this.regions().find((x) => x.id === this.selected);
    this.bar.update({ selected, canUndo: edits.canUndo, canRedo: edits.canRedo, live: this.live });
  }

  private pickLabel(name: string): void {
    const r = this.regions().find((x) => x.id === this.selected);
    if (r && r.label !== name) this.commit([{ before: r, after: { ...r, label: name } }]);
    this.bar.active = name;
    this.updateBar();
    this.host.root.focus({ preventScroll: true });
  }

  // -- drawing ----------------------------------------------------------------------------------

  draw(): void {
    let regions = this.regions();
    if (this.preview) {
      const p = this.preview;
      regions = regions.some((r) => r.id === p.id) ? regions.map((r) => (r.id === p.id ? p : r)) : [...regions, p];
    }
    if (this.selected && !regions.some((r) => r.id === this.selected)) this.selected = null;
    this.drawDetail(regions);
    this.drawOverview(regions);
    this.updateBar();
  }

  private drawDetail(regions: Region[]): void {
    const over = this.host.detailOver();
    if (!over) return;
    const [lo, hi] = this.host.window();
    const color = (label: string) => this.color(label);
    this.detailLayer.replaceChildren(...detailNodes(regions, scale(lo, hi, over.clientWidth), this.selected, color));
  }

  private drawOverview(regions: Region[]): void {
    const over = this.host.overviewOver();
    if (!over) return;
    const color = (label: string) => this.color(label);
    this.overviewLayer.replaceChildren(...overviewNodes(regions, scale(0, this.host.span(), over.clientWidth), color));
  }

  // -- pointer -------------------------------------------------------------------------------------

  private timeAt(clientX: number, over: HTMLElement): number {
    const [lo, hi] = this.host.window();
    return timeAtClient(over, lo, hi, clientX);
  }

  private onPointerDown(e: PointerEvent, over: HTMLElement): void {
    if (e.button !== 0) return;
    if (!this.host.editable) {
      // Read-only: a click selects a region and seeks the media to its start.
      const hit = this.hitAt(e, over);
      const r = hit ? this.regions().find((x) => x.id === hit.id) : undefined;
      if (r) {
        this.selected = r.id;
        this.updateBar();
        this.draw();
        this.host.seekData(r.start);
      }
      return;
    }
    if (this.labels().length === 0) return;
    const t0 = this.timeAt(e.clientX, over);
    const x0 = e.clientX;
    const span = this.host.span();
    const hit = this.hitAt(e, over);
    const edge = hit && hit.part !== "body" ? hit.part : undefined;
    const original = hit ? this.regions().find((r) => r.id === hit.id) ?? null : null;
    if (original) {
      this.selected = original.id;
      this.updateBar();
      this.draw();
    }
    e.preventDefault();
    over.setPointerCapture(e.pointerId);
    this.host.root.focus({ preventScroll: true });
    let moved = false;
    const ac = new AbortController();
    const opts = { signal: AbortSignal.any([this.host.signal, ac.signal]) };
    over.addEventListener("pointermove", (ev) => {
      if (!moved && Math.abs(ev.clientX - x0) < 3) return;
      moved = true;
      const t = this.timeAt(ev.clientX, over);
      if (original) {
        this.preview = edge ? resizeRegion(original, edge, t, span) : moveRegion(original, t - t0, span);
      } else {
        this.preview = createRegion(t0, t, this.bar.active!, span, this.bar.channel, this.preview?.id);
      }
      this.draw();
    }, opts);
    const finish = (commit: boolean) => {
      ac.abort();
      const p = this.preview;
      this.preview = null;
      if (commit && moved && p) {
        if (original) this.commit([{ before: original, after: p }]);
        else if (p.end > p.start) {
          this.selected = p.id;
          this.commit([{ before: null, after: p }]);
        }
      } else if (commit && !moved) {
        if (original) this.host.seekData(original.start);
        else this.selected = null;
      }
      this.draw();
    };
    over.addEventListener("pointerup", () => finish(true), opts);
    over.addEventListener("pointercancel", () => finish(false), opts);
  }

  /** The region part under the pointer: the same lanes and margins the drawing uses. */
  private hitAt(e: MouseEvent, over: HTMLElement): Hit | null {
    const [lo, hi] = this.host.window();
    const sc = elementScale(over, lo, hi);
    const shown = visible(this.regions(), lo, hi);
    const tol = seconds(sc, EDGE_GRAB_PX);
    const y = (e.clientY - sc.top) / Math.max(sc.height, 1);
    return hitTest(shown, assignLanes(shown), this.timeAt(e.clientX, over), y, tol);
  }

  private onDoubleClick(e: MouseEvent, over: HTMLElement): void {
    if (this.labels().length === 0 || !this.bar.active) return;
    if (this.hitAt(e, over)) return;
    this.addEvent(this.timeAt(e.clientX, over));
  }

  private addEvent(t: number): void {
    const r = createRegion(t, t, this.bar.active!, this.host.span(), this.bar.channel);
    this.selected = r.id;
    this.commit([{ before: null, after: r }]);
  }

  // -- keyboard ---------------------------------------------------------------------------------

  /** Carry out a labeling action from the keymap (keys.ts); false when it is not one. */
  onAction(a: Action): boolean {
    switch (a.kind) {
      case "undo":
        this.host.edits.undo();
        return true;
      case "redo":
        this.host.edits.redo();
        return true;
      case "delete":
        this.deleteSelected();
        return true;
      case "deselect":
        this.selected = null;
        this.draw();
        return true;
      case "help":
        this.bar.toggleHelp();
        return true;
      case "event": {
        const t = this.host.playheadTime();
        if (t !== null && this.bar.active) this.addEvent(t);
        return true;
      }
      case "label":
        this.onLabelKey(a.name);
        return true;
      default:
        return false;
    }
  }

  private onLabelKey(name: string): void {
    const t = this.host.playheadTime();
    if (this.host.playing() && t !== null) {
      const { open, closed } = toggleLive(this.live, name, t, this.host.span());
      this.live = open;
      if (closed) {
        closed.channel = this.bar.channel;
        this.selected = closed.id;
        this.commit([{ before: null, after: closed }]);
      }
      this.bar.active = name;
      this.updateBar();
      return;
    }
    this.pickLabel(name);
  }

  private deleteSelected(): void {
    const r = this.regions().find((x) => x.id === this.selected);
    if (!r) return;
    this.selected = null;
    this.commit([{ before: r, after: null }]);
  }

  private playSelected(): void {
    const r = this.regions().find((x) => x.id === this.selected);
    if (r) this.host.playRange(r.start, r.end);
  }
}
