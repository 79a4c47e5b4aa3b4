/**
 * The alignment check: over the detail window, the data channel picked in
 * the panel and the track's media feature (audio loudness, or motion for a
 * video) drawn on one time axis, the feature placed through the track's
 * mapping, so a wrong offset shows as the two lines out of step. The feature
 * covers the whole media and is asked for once per track and feature, only
 * while the panel is open.
 */

import type { AlignClient, Feature } from "./alignclient";
import { errorText, selectOf } from "./alignpanel";
import { featureLines, seriesLines, type Polyline } from "./checklines";
import { el } from "./dom";
import type { Sel } from "./range";
import { scale } from "./scale";
import type { TimeMap } from "./timemap";

/** Height of the check's canvas (CSS px). */
export const CHECK_HEIGHT = 64;

/** Media features the check can draw. */
export const CHECK_FEATURES = ["audio", "motion"] as const;

/** What the check needs from its view. */
export interface CheckHost {
  signal: AbortSignal;
  client: AlignClient;
  /** Whether the panel is open (nothing is drawn or asked while closed). */
  open(): boolean;
  /** The panel's track, or null without media. */
  track(): string | null;
  kind(track: string): "video" | "audio" | null;
  map(track: string): TimeMap;
  /** The channel picked in the panel. */
  channel(): string | null;
  /** The detail chart's points of channel `name` (times in relative seconds), or null. */
  series(name: string): { xs: ArrayLike<number>; ys: ArrayLike<number | null> } | null;
  window(): Sel;
  /** Where the detail chart's plot is, relative to the panel (CSS px). */
  plot(): { left: number; width: number };
  colors(channel: string): { channel: string; feature: string };
}

/** The feature a track is checked with by default: motion for a video, audio otherwise. */
export function defaultFeature(kind: "video" | "audio" | null): "audio" | "motion" {
  return kind === "video" ? "motion" : "audio";
}

/** The check canvas (data-part="align-check") with its feature select, legend and note. */
export class AlignCheck {
  readonly el = el("div", "tsv-align-check", "align-check-box");
  private readonly canvas: HTMLCanvasElement;
  private readonly featureSelect: HTMLSelectElement;
  private readonly legend = el("span", "tsv-align-legend", "align-legend");
  private readonly note = el("span", "tsv-align-note", "align-check-note");
  /** The track the feature select was set for. */
  private track: string | null = null;
  /** The feature drawn, and its key. */
  private held: { key: string; f: Feature } | null = null;
  /** The key asked for and not answered yet. */
  private asking: string | null = null;
  /** The key whose request failed, and why (asked again when the key changes back). */
  private failed: { key: string; text: string } | null = null;

  constructor(private readonly host: CheckHost) {
    const head = el("div", "tsv-align-row", undefined, undefined, this.el);
    el("span", "tsv-align-caption", undefined, "Check with media", head);
    this.featureSelect = selectOf("align-check-feature", CHECK_FEATURES, head);
    this.featureSelect.title = "media feature drawn against the channel";
    head.append(this.legend, this.note);
    this.canvas = el("canvas", "tsv-align-canvas", "align-check", undefined, this.el);
    this.featureSelect.addEventListener("change", () => this.draw(), { signal: host.signal });
  }

  /** Forget the feature held (the media changed). */
  reset(): void {
    this.held = null;
    this.failed = null;
    this.track = null;
    this.draw();
  }

  /** Draw for the current window, track, channel and mapping; ask for the feature when missing. */
  draw(): void {
    const host = this.host;
    const track = host.track();
    if (!host.open() || track === null) return;
    if (track !== this.track) {
      this.track = track;
      this.featureSelect.value = defaultFeature(host.kind(track));
    }
    const method = this.featureSelect.value;
    const key = JSON.stringify([track, method]);
    const feature = this.held?.key === key ? this.held.f : null;
    if (!feature) this.ask(track, method, key);
    const plot = host.plot();
    const w = Math.max(1, Math.round(plot.width));
    const g = this.size(w, plot.left);
    const channel = host.channel();
    const colors = host.colors(channel ?? "");
    this.showLegend(channel, `${track} ${method}`, colors);
    this.note.textContent = feature ? "" : this.failed?.key === key ? this.failed.text : `loading the ${method} feature of ${track}…`;
    if (!g) return;
    const [lo, hi] = host.window();
    const sc = scale(lo, hi, w);
    const data = channel === null ? null : host.series(channel);
    if (data) this.stroke(g, seriesLines(data.xs, data.ys, sc, CHECK_HEIGHT), colors.channel);
    if (feature) this.stroke(g, featureLines(feature, host.map(track), sc, CHECK_HEIGHT), colors.feature);
  }

  private ask(track: string, method: string, key: string): void {
    if (this.asking === key || this.failed?.key === key) return;
    this.asking = key;
    this.host.client.feature(track, method).then(
      (f) => {
        if (this.asking === key) this.asking = null;
        if (this.host.signal.aborted) return;
        this.held = { key, f };
        this.draw();
      },
      (err: unknown) => {
        if (this.asking === key) this.asking = null;
        if (this.host.signal.aborted) return;
        this.failed = { key, text: `${method} feature of ${track}: ${errorText(err)}` };
        this.draw();
      },
    );
  }

  /** Size the canvas to the plot and clear it; its 2D context, or null. */
  private size(w: number, left: number): CanvasRenderingContext2D | null {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    c.style.marginLeft = `${left}px`;
    c.style.width = `${w}px`;
    c.style.height = `${CHECK_HEIGHT}px`;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(CHECK_HEIGHT * dpr)) c.height = Math.round(CHECK_HEIGHT * dpr);
    const g = c.getContext("2d");
    if (!g) return null;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, CHECK_HEIGHT);
    return g;
  }

  private stroke(g: CanvasRenderingContext2D, lines: Polyline[], color: string): void {
    g.strokeStyle = color;
    g.lineWidth = 1.25;
    for (const line of lines) {
      g.beginPath();
      g.moveTo(line[0], line[1]);
      for (let i = 2; i < line.length; i += 2) g.lineTo(line[i], line[i + 1]);
      g.stroke();
    }
  }

  private showLegend(channel: string | null, feature: string, colors: { channel: string; feature: string }): void {
    const item = (text: string, color: string, part: string) => {
      const s = el("span", "tsv-align-legend-item", part);
      el("span", "tsv-swatch", undefined, undefined, s).style.background = color;
      el("span", "", undefined, text, s);
      return s;
    };
    this.legend.replaceChildren(
      ...(channel === null ? [] : [item(channel, colors.channel, "align-legend-channel")]),
      item(feature, colors.feature, "align-legend-feature"),
    );
  }
}
