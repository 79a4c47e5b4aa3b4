/**
 * Mouse editing of regions on the detail chart: dragging out a new region,
 * moving a region or resizing it by an edge, a double click adding a point
 * event, a click selecting a region (and seeking the media to it), and the
 * cursor over a region's body or edge. Alt+clicks are left to the sync-point
 * gesture (syncgesture.ts). On a read-only page a click selects
 * and seeks, nothing more. What is under the pointer is found with the same
 * lanes and margins the drawing uses; the labeling UI draws and commits.
 */

import type { LabelInfo } from "./labelbar";
import {
  assignLanes,
  createRegion,
  hitTest,
  moveRegion,
  resizeRegion,
  visible,
  type Hit,
  type Op,
  type Region,
} from "./regions";
import { elementScale, seconds, timeAtClient } from "./scale";

/** Half-width, in CSS pixels, of the zone that grabs a region's edge or a point event. */
const EDGE_GRAB_PX = 4;

/** What mouse editing needs from its view (the labeling UI's host has all of it). */
export interface PointerView {
  root: HTMLElement;
  signal: AbortSignal;
  /** False where regions are shown read-only: a click selects and seeks, nothing else. */
  editable: boolean;
  window(): [number, number];
  span(): number;
  seekData(rel: number): void;
}

/** What mouse editing needs from the labeling UI. */
export interface PointerUI {
  labels(): LabelInfo[];
  /** The label new regions get (the label bar's active one). */
  label(): string | null;
  /** The channel new regions are for, or null for all channels. */
  channel(): string | null;
  /** The regions shown, without the preview. */
  regions(): Region[];
  /** Mark region `id` selected (null: none); nothing is redrawn. */
  select(id: string | null): void;
  draw(): void;
  commit(op: Op): void;
  /** Add a point event at `t` with the active label. */
  addEvent(t: number): void;
}

export class RegionPointer {
  /** A region being drawn or dragged, shown in place of its committed version. */
  preview: Region | null = null;

  constructor(
    private readonly view: PointerView,
    private readonly ui: PointerUI,
  ) {}

  /** Hook pointer input on the detail chart's overlay `over`. */
  attach(over: HTMLElement): void {
    const signal = this.view.signal;
    over.addEventListener("pointerdown", (e) => this.onPointerDown(e, over), { signal });
    over.addEventListener("dblclick", (e) => this.onDoubleClick(e, over), { signal });
    over.addEventListener("pointermove", (e) => {
      if (e.buttons || this.ui.labels().length === 0) return;
      const hit = this.hitAt(e, over);
      over.style.cursor = !hit ? "crosshair" : hit.part === "body" ? "move" : "ew-resize";
    }, { signal });
  }

  private timeAt(clientX: number, over: HTMLElement): number {
    const [lo, hi] = this.view.window();
    return timeAtClient(over, lo, hi, clientX);
  }

  private onPointerDown(e: PointerEvent, over: HTMLElement): void {
    // Alt+click adds a sync point (syncgesture.ts): it must not also select, seek or draw.
    if (e.button !== 0 || e.altKey) return;
    const ui = this.ui;
    if (!this.view.editable) {
      // Read-only: a click selects a region and seeks the media to its start.
      const hit = this.hitAt(e, over);
      const r = hit ? ui.regions().find((x) => x.id === hit.id) : undefined;
      if (r) {
        ui.select(r.id);
        ui.draw();
        this.view.seekData(r.start);
      }
      return;
    }
    if (ui.labels().length === 0) return;
    const t0 = this.timeAt(e.clientX, over);
    const x0 = e.clientX;
    const span = this.view.span();
    const hit = this.hitAt(e, over);
    const edge = hit && hit.part !== "body" ? hit.part : undefined;
    const original = hit ? ui.regions().find((r) => r.id === hit.id) ?? null : null;
    if (original) {
      ui.select(original.id);
      ui.draw();
    }
    e.preventDefault();
    over.setPointerCapture(e.pointerId);
    this.view.root.focus({ preventScroll: true });
    let moved = false;
    const ac = new AbortController();
    const opts = { signal: AbortSignal.any([this.view.signal, ac.signal]) };
    over.addEventListener("pointermove", (ev) => {
      if (!moved && Math.abs(ev.clientX - x0) < 3) return;
      moved = true;
      const t = this.timeAt(ev.clientX, over);
      if (original) {
        this.preview = edge ? resizeRegion(original, edge, t, span) : moveRegion(original, t - t0, span);
      } else {
        this.preview = createRegion(t0, t, ui.label()!, span, ui.channel(), this.preview?.id);
      }
      ui.draw();
    }, opts);
    const finish = (commit: boolean) => {
      ac.abort();
      const p = this.preview;
      this.preview = null;
      if (commit && moved && p) {
        if (original) ui.commit([{ before: original, after: p }]);
        else if (p.end > p.start) {
          ui.select(p.id);
          ui.commit([{ before: null, after: p }]);
        }
      } else if (commit && !moved) {
        if (original) this.view.seekData(original.start);
        else ui.select(null);
      }
      ui.draw();
    };
    over.addEventListener("pointerup", () => finish(true), opts);
    over.addEventListener("pointercancel", () => finish(false), opts);
  }

  /** The region part under the pointer: the same lanes and margins the drawing uses. */
  private hitAt(e: MouseEvent, over: HTMLElement): Hit | null {
    const [lo, hi] = this.view.window();
    const sc = elementScale(over, lo, hi);
    const shown = visible(this.ui.regions(), lo, hi);
    const tol = seconds(sc, EDGE_GRAB_PX);
    const y = (e.clientY - sc.top) / Math.max(sc.height, 1);
    return hitTest(shown, assignLanes(shown), this.timeAt(e.clientX, over), y, tol);
  }

  private onDoubleClick(e: MouseEvent, over: HTMLElement): void {
    if (e.altKey || this.ui.labels().length === 0 || !this.ui.label()) return;
    if (this.hitAt(e, over)) return;
    this.ui.addEvent(this.timeAt(e.clientX, over));
  }
}
