/**
 * Sync points drawn as vertical markers at their data time: over the detail
 * chart (the window) and on the overview strip (the whole span), placed
 * through scale.ts like the regions. The alignment panel's track is
 * emphasised; each marker's tooltip names its track, data time and media time
 * (as the title attribute: text, never HTML).
 */

import { el } from "./dom";
import { onPlot, scale, toPx, type Scale } from "./scale";
import { formatMedia, type SyncPoint } from "./syncpoints";

/** Where one marker goes and what it says. */
export interface MarkerSpot {
  id: string;
  track: string;
  /** Pixels from the plot's left edge. */
  left: number;
  /** The panel's track: drawn emphasised. */
  active: boolean;
  title: string;
}

/**
 * The markers of `points` on scale `sc` (those on the plot only), in data-time
 * order; `format` writes a data time, `active` is the emphasised track.
 */
export function markerSpots(points: readonly SyncPoint[], sc: Scale, active: string | null, format: (rel: number) => string): MarkerSpot[] {
  return points
    .filter((p) => Number.isFinite(p.data_time) && onPlot(sc, p.data_time))
    .sort((a, b) => a.data_time - b.data_time)
    .map((p) => ({
      id: p.id,
      track: p.track,
      left: toPx(sc, p.data_time),
      active: p.track === active,
      title: `sync point · ${p.track} · data ${format(p.data_time)} · media ${formatMedia(p.media_time)}`,
    }));
}

/** What the markers need from their view. */
export interface MarkerHost {
  detailOver(): HTMLElement | null;
  overviewOver(): HTMLElement | null;
  window(): [number, number];
  span(): number;
  points(): SyncPoint[];
  /** The emphasised track (the alignment panel's). */
  active(): string | null;
  format(rel: number): string;
}

/** The marker layers of one view: over the detail chart and on the overview strip. */
export class SyncMarkers {
  private readonly detailLayer = el("div", "tsv-sync-layer", "sync-markers");
  private readonly overviewLayer = el("div", "tsv-sync-layer tsv-overview-sync", "sync-markers-overview");

  constructor(private readonly host: MarkerHost) {}

  /** Put the layers in the charts' overlays (after the charts were built) and draw. */
  attach(): void {
    this.host.detailOver()?.appendChild(this.detailLayer);
    this.host.overviewOver()?.appendChild(this.overviewLayer);
    this.draw();
  }

  /** Draw every marker for the current window, points and sizes. */
  draw(): void {
    const h = this.host;
    const points = h.points();
    const over = h.detailOver();
    const oover = h.overviewOver();
    const [lo, hi] = h.window();
    const detail = over ? markerSpots(points, scale(lo, hi, over.clientWidth), h.active(), h.format) : [];
    const overview = oover ? markerSpots(points, scale(0, h.span(), oover.clientWidth), h.active(), h.format) : [];
    this.detailLayer.replaceChildren(...detail.map((s) => this.node(s, "sync-marker")));
    this.overviewLayer.replaceChildren(...overview.map((s) => this.node(s, "sync-marker-overview")));
  }

  private node(s: MarkerSpot, part: string): HTMLElement {
    const d = el("div", s.active ? "tsv-sync-marker tsv-sync-active" : "tsv-sync-marker", part);
    d.dataset.id = s.id;
    d.dataset.track = s.track;
    d.style.left = `${s.left}px`;
    d.title = s.title;
    return d;
  }

  destroy(): void {
    this.detailLayer.remove();
    this.overviewLayer.remove();
  }
}
