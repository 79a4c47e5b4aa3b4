/**
 * The labeling UI of one view: the label bar, regions drawn over the detail
 * chart and the overview, the selection, and keyboard shortcuts; mouse
 * editing is regionpointer.ts.
 *
 * Pure editing logic lives in regions.ts; this module turns gestures into
 * operations and hands them to the model's pending-edit store (pending.ts),
 * which draws them at once, delivers them to the kernel and keeps the undo
 * history. Every string from labels or data is set with textContent.
 */

import type { AnyModel } from "@anywidget/types";
import type { PendingEdits } from "./pending";
import { createRegion, toggleLive, type Op, type Region } from "./regions";
import type { Action } from "./keys";
import { LabelBar, type AlignToggle, type LabelInfo } from "./labelbar";
import { detailNodes, overviewNodes } from "./regionlayer";
import { RegionPointer } from "./regionpointer";
import { SaveStatus, type ErrorBox } from "./savestatus";
import { scale } from "./scale";
import { el } from "./dom";

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
  /** The alignment panel's toggle in the label bar (none: no toggle). */
  align?: AlignToggle;
}

export const LABEL_PALETTE = ["#e15759", "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f"];


export class Labeler {
  private readonly bar: LabelBar;
  private readonly detailLayer: HTMLDivElement;
  private readonly overviewLayer: HTMLDivElement;
  private readonly status: SaveStatus;
  private readonly pointer: RegionPointer;
  private readonly unsubscribe: () => void;
  private selected: string | null = null;
  private live = new Map<string, number>();
  private onRegions = () => this.draw();
  private onLabels = () => this.buildBar();

  /** Rebuild the label bar (labels or channels changed). */
  rebuildBar(): void {
    this.buildBar();
  }

  /** The alignment panel opened or closed: its toggle shows it. */
  alignToggled(): void {
    this.bar.showAlign();
  }

  constructor(private host: LabelHost) {
    this.bar = new LabelBar({
      signal: host.signal,
      editable: host.editable,
      align: host.align,
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
    this.pointer = new RegionPointer(host, {
      labels: () => this.labels(),
      label: () => this.bar.active,
      channel: () => this.bar.channel,
      regions: () => this.regions(),
      select: (id) => (this.selected = id),
      draw: () => this.draw(),
      commit: (op) => this.commit(op),
      addEvent: (t) => this.addEvent(t),
    });
    host.barAnchor.parentElement!.insertBefore(this.bar.el, host.barAnchor);
    host.barAnchor.parentElement!.insertBefore(this.status.el, host.barAnchor);
    host.barAnchor.parentElement!.insertBefore(this.bar.help, host.barAnchor);
    this.buildBar();
    host.model.on("change:regions", this.onRegions);
    host.model.on("change:_labels", this.onLabels);
    // The bar shows for media without labels (the alignment toggle).
    host.model.on("change:_media", this.onLabels);
    this.unsubscribe = host.edits.subscribe({ change: this.onRegions });
  }

  /** Re-attach the layers after the charts were rebuilt, and hook pointer input. */
  attach(): void {
    const over = this.host.detailOver();
    const oover = this.host.overviewOver();
    if (over) {
      over.appendChild(this.detailLayer);
      this.pointer.attach(over);
    }
    if (oover) oover.insertBefore(this.overviewLayer, oover.firstChild);
    this.draw();
  }

  destroy(): void {
    this.host.model.off("change:regions", this.onRegions);
    this.host.model.off("change:_labels", this.onLabels);
    this.host.model.off("change:_media", this.onLabels);
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
    const p = this.pointer.preview;
    if (p) {
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

  private addEvent(t: number): void {
    const r = createRegion(t, t, this.bar.active!, this.host.span(), this.bar.channel);
    this.selected = r.id;
    this.commit([{ before: null, after: r }]);
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
