/**
 * The alignment panel of one view, for one track at a time: the track's
 * mapping (offset and rate), its sync points with how far each is off the
 * mapping now and under the last fit, and the fit, apply and undo buttons.
 * The suggestions and the alignment check are their own parts, placed inside
 * the panel ({@link AlignPanel.insert}). The panel shows the model: a request
 * changes traits in the kernel and the panel re-renders from them. Track
 * names and times go in as text only.
 */

import type { AnyModel } from "@anywidget/types";
import type { AlignClient, Fit } from "./alignclient";
import { fitResiduals, fitSummary, knotCount } from "./alignformat";
import { el } from "./dom";
import { canUndoAlign, deleteSyncPoint, syncPoints } from "./syncmodel";
import { formatMedia, formatMs, formatOffset, formatRate, pointsKey, pointsOf, residualMs } from "./syncpoints";
import { trackInfos, trackMap } from "./trackmodel";
import { ALIGN_MODELS } from "./wire";

/** What the panel needs from its view. */
export interface PanelHost {
  model: AnyModel;
  signal: AbortSignal;
  client: AlignClient;
  span(): number;
  /** A data time (relative seconds) in the time column's terms. */
  format(rel: number): string;
  /** The panel's track changed (the markers and the check follow it). */
  trackChanged(): void;
}

/** The text of a failed request. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function button(part: string, text: string, parent: HTMLElement, title?: string): HTMLButtonElement {
  const b = el("button", "tsv-tool", part, text, parent);
  b.type = "button";
  if (title) b.title = title;
  return b;
}

/** A select of `values` (value = text), with data-part `part`. */
export function selectOf(part: string, values: readonly string[], parent: HTMLElement): HTMLSelectElement {
  const s = el("select", "tsv-channel", part, undefined, parent);
  for (const v of values) el("option", "", undefined, v, s).value = v;
  return s;
}

/** The panel (data-part="align-panel"): one track's mapping, sync points, fit, apply and undo, and the status line. */
export class AlignPanel {
  readonly el = el("div", "tsv-align", "align-panel");
  /** The track shown (the first track until another is picked; null without media). */
  track: string | null = null;
  private readonly trackSelect: HTMLSelectElement;
  private readonly offsetEl: HTMLSpanElement;
  private readonly rateEl: HTMLSpanElement;
  private readonly rows = el("div", "tsv-sync-rows", "sync-rows");
  private readonly modelSelect: HTMLSelectElement;
  private readonly fitButton: HTMLButtonElement;
  private readonly applyButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly fitResult: HTMLSpanElement;
  private readonly statusEl = el("div", "tsv-align-status", "align-status");
  /** The last fit of each track, with the points it was made for. */
  private readonly fits = new Map<string, { fit: Fit; key: string }>();
  /** Requests in flight ("fit", "apply", "undo"): their buttons wait. */
  private readonly busy = new Set<string>();

  constructor(private readonly host: PanelHost) {
    const signal = host.signal;
    this.el.hidden = true;
    const head = el("div", "tsv-align-row", "align-head", undefined, this.el);
    el("span", "tsv-align-caption", undefined, "Align track", head);
    this.trackSelect = selectOf("align-track", [], head);
    this.trackSelect.title = "track whose mapping is aligned";
    el("span", "tsv-align-caption", undefined, "offset", head);
    this.offsetEl = el("span", "tsv-align-value", "align-offset", "", head);
    el("span", "tsv-align-caption", undefined, "rate", head);
    this.rateEl = el("span", "tsv-align-value", "align-rate", "", head);
    this.el.append(this.rows);
    const fit = el("div", "tsv-align-row", "align-fit-row", undefined, this.el);
    this.modelSelect = selectOf("align-model", ALIGN_MODELS, fit);
    this.modelSelect.title = "model fitted to the sync points";
    this.fitButton = button("align-fit", "Fit", fit, "fit the model to this track's sync points");
    this.applyButton = button("align-apply", "Apply fit", fit, "make the fitted mapping this track's");
    this.undoButton = button("align-undo", "Undo alignment", fit, "go back to this track's previous mapping");
    this.fitResult = el("span", "tsv-align-value", "align-fit-result", "", fit);
    this.statusEl.setAttribute("role", "status");
    this.el.append(this.statusEl);
    this.trackSelect.addEventListener("change", () => this.pick(this.trackSelect.value), { signal });
    this.fitButton.addEventListener("click", () => void this.runFit(), { signal });
    this.applyButton.addEventListener("click", () => this.applyFit(), { signal });
    this.undoButton.addEventListener("click", () => void this.undo(), { signal });
    this.setTracks();
  }

  /** Place `nodes` (the suggestions, the check) in the panel, above the status line. */
  insert(...nodes: HTMLElement[]): void {
    for (const n of nodes) this.el.insertBefore(n, this.statusEl);
  }

  /** Show the model's tracks in the track select, keeping the track shown while it remains. */
  setTracks(): void {
    const names = trackInfos(this.host.model).map((t) => t.track);
    this.trackSelect.replaceChildren(...names.map((n) => Object.assign(el("option", "", undefined, n), { value: n })));
    const next = this.track !== null && names.includes(this.track) ? this.track : (names[0] ?? null);
    if (next !== null) this.trackSelect.value = next;
    if (next !== this.track) this.pick(next);
    else this.render();
  }

  private pick(track: string | null): void {
    this.track = track;
    this.status("");
    this.render();
    this.host.trackChanged();
  }

  /** Say `text` in the status line (`error`: as an error). */
  status(text: string, error = false): void {
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle("tsv-align-error", error);
  }

  /** The sync points changed: fits made for other points are dropped. */
  syncChanged(): void {
    const points = syncPoints(this.host.model);
    for (const [track, f] of this.fits) if (pointsKey(points, track) !== f.key) this.fits.delete(track);
    this.render();
  }

  /** Show the track's mapping, points, fit and what the buttons can do now. */
  render(): void {
    const model = this.host.model;
    const track = this.track;
    const map = track === null ? null : trackMap(model, track, this.host.span());
    const knots = map ? knotCount(map) : 0;
    this.offsetEl.textContent = map ? (knots ? `piecewise (${knots} knots)` : formatOffset(map.offset)) : "";
    this.rateEl.textContent = map && !knots ? formatRate(map.offset, map.rate) : "";
    const fit = track === null ? null : (this.fits.get(track)?.fit ?? null);
    const byId = fitResiduals(fit);
    const points = track === null ? [] : pointsOf(syncPoints(model), track);
    const head = el("div", "tsv-sync-row tsv-sync-head");
    for (const t of ["data time", "media time", "now", "fit", ""]) el("span", "", undefined, t, head);
    const rows = points.map((p) => {
      const r = el("div", "tsv-sync-row", "sync-row");
      r.dataset.id = p.id;
      el("span", "", "sync-data", this.host.format(p.data_time), r);
      el("span", "", "sync-media", formatMedia(p.media_time), r);
      el("span", "", "sync-residual", map ? formatMs(residualMs(p, map)) : "", r);
      el("span", "", "sync-fit-residual", formatMs(byId.get(p.id)), r);
      const del = button("sync-delete", "✕", r, "delete this sync point");
      del.addEventListener("click", () => deleteSyncPoint(model, p.id), { signal: this.host.signal });
      return r;
    });
    const empty = "No sync points for this track yet: Alt+click the detail chart (or press S over it) where the data shows the moment the media shows now.";
    this.rows.replaceChildren(head, ...(rows.length ? rows : [el("div", "tsv-sync-empty", "sync-empty", empty)]));
    this.fitResult.textContent = fit ? fitSummary(fit) : "";
    this.fitButton.disabled = track === null || this.busy.has("fit");
    this.applyButton.disabled = fit === null || this.busy.has("apply");
    this.undoButton.disabled = track === null || !canUndoAlign(model, track) || this.busy.has("undo");
  }

  /** Run request `job` as action `name` (its button waits meanwhile); the status line says what it did. */
  private async run(name: string, job: () => Promise<string>): Promise<void> {
    this.busy.add(name);
    this.render();
    try {
      const text = await job();
      if (!this.host.signal.aborted) this.status(text);
    } catch (err) {
      if (!this.host.signal.aborted) this.status(errorText(err), true);
    } finally {
      this.busy.delete(name);
      if (!this.host.signal.aborted) this.render();
    }
  }

  private async runFit(): Promise<void> {
    const track = this.track;
    if (track === null) return;
    const key = pointsKey(syncPoints(this.host.model), track);
    this.status("fitting…");
    await this.run("fit", async () => {
      const fit = await this.host.client.fit(track, this.modelSelect.value);
      if (pointsKey(syncPoints(this.host.model), track) !== key) return "the sync points changed while fitting: fit again";
      this.fits.set(track, { fit, key });
      return "fitted";
    });
  }

  private applyFit(): void {
    const track = this.track;
    const fit = track === null ? undefined : this.fits.get(track)?.fit;
    if (track !== null && fit) this.apply(track, fit.offset, fit.rate, fit.knots);
  }

  /** Make track `track`'s mapping this one (the fit's, or a suggestion's). */
  apply(track: string, offset: number, rate: number, knots: [number, number][] | null): void {
    this.status("applying…");
    void this.run("apply", async () => {
      await this.host.client.apply(track, offset, rate, knots);
      return "applied";
    });
  }

  private async undo(): Promise<void> {
    const track = this.track;
    if (track === null) return;
    await this.run("undo", async () => {
      await this.host.client.undo(track);
      return "alignment undone";
    });
  }
}
