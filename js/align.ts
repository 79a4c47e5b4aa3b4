/**
 * Alignment of one view: the panel (a track's mapping, sync points, fit,
 * suggestions, the check), the sync-point markers on the charts, and the
 * gesture that adds sync points. It wires them to the model (its listeners
 * go in destroy) and to the view, which tells it when the window, the size,
 * the detail data or the channels changed.
 */

import type { AnyModel } from "@anywidget/types";
import { AlignCheck } from "./aligncheck";
import { AlignClient } from "./alignclient";
import { AlignPanel } from "./alignpanel";
import { AlignSuggest } from "./alignsuggest";
import type { Sel } from "./range";
import type { RequestChannel } from "./requests";
import { SyncGesture } from "./syncgesture";
import { SyncMarkers } from "./syncmarkers";
import { addSyncPoint, syncPoints } from "./syncmodel";
import { durationsKey, TRACK_EVENTS, trackInfos, trackMap } from "./trackmodel";

/** What the alignment needs from its view. */
export interface AlignHost {
  model: AnyModel;
  channel: RequestChannel;
  signal: AbortSignal;
  /** Whether the kernel answers and the widget may be changed (not a static page). */
  editable: boolean;
  /** The panel goes before this element (the detail chart's box). */
  anchor: HTMLElement;
  detailOver(): HTMLElement | null;
  overviewOver(): HTMLElement | null;
  window(): Sel;
  span(): number;
  channels(): string[];
  /** A data time (relative seconds) in the time column's terms. */
  format(rel: number): string;
  /** Where the detail chart's plot is, relative to the view's root (CSS px). */
  plot(): { left: number; width: number };
  /** The detail chart's points of channel `name`, or null. */
  series(name: string): { xs: ArrayLike<number>; ys: ArrayLike<number | null> } | null;
  colors(channel: string): { channel: string; feature: string };
  /** Track `track`'s player's media time now (seconds), or null. */
  currentTime(track: string): number | null;
  /** The panel opened or closed. */
  toggled(): void;
  /** Give the widget keyboard focus. */
  focus(): void;
}

/** Whether a widget can be aligned: it has media and may be changed. */
export function alignAvailable(model: AnyModel, editable: boolean): boolean {
  return editable && trackInfos(model).length > 0;
}

/** One view's alignment: the panel, the markers and the gesture, kept in step with the model. */
export class Alignment {
  private readonly client: AlignClient;
  private readonly panel: AlignPanel;
  private readonly suggest: AlignSuggest;
  private readonly check: AlignCheck;
  private readonly markers: SyncMarkers;
  private readonly gesture: SyncGesture;
  private readonly handlers: [string, () => void][] = [];
  /** Whether the panel is shown. */
  open = false;

  constructor(private readonly host: AlignHost) {
    const { model, signal } = host;
    this.client = new AlignClient(host.channel);
    this.panel = new AlignPanel({
      model,
      signal,
      client: this.client,
      span: () => host.span(),
      format: (rel) => host.format(rel),
      trackChanged: () => {
        this.suggest?.render();
        this.check?.draw();
        this.markers?.draw();
      },
    });
    this.suggest = new AlignSuggest({
      signal,
      client: this.client,
      track: () => this.panel.track,
      channels: () => host.channels(),
      status: (text, error) => this.panel.status(text, error),
      apply: (track, offset, rate, knots) => this.panel.apply(track, offset, rate, knots),
      channelChanged: () => this.check.draw(),
    });
    this.check = new AlignCheck({
      signal,
      client: this.client,
      open: () => this.open,
      track: () => this.panel.track,
      kind: (track) => trackInfos(model).find((t) => t.track === track)?.kind ?? null,
      map: (track) => trackMap(model, track, host.span()),
      channel: () => this.suggest.channel,
      series: (name) => host.series(name),
      window: () => host.window(),
      plot: () => this.plotInPanel(),
      colors: (channel) => host.colors(channel),
    });
    this.panel.insert(this.suggest.el, this.check.el);
    host.anchor.parentElement!.insertBefore(this.panel.el, host.anchor);
    this.markers = new SyncMarkers({
      detailOver: () => host.detailOver(),
      overviewOver: () => host.overviewOver(),
      window: () => host.window(),
      span: () => host.span(),
      points: () => syncPoints(model),
      active: () => this.panel.track,
      format: (rel) => host.format(rel),
    });
    this.gesture = new SyncGesture({
      signal,
      enabled: () => alignAvailable(model, host.editable),
      window: () => host.window(),
      span: () => host.span(),
      track: () => this.panel.track,
      currentTime: (track) => host.currentTime(track),
      add: (p) => {
        addSyncPoint(model, p);
        this.panel.status(`sync point added: ${p.track} at data ${host.format(p.data_time)}`);
      },
      fail: (text) => this.panel.status(text, true),
      focus: () => host.focus(),
    });
    this.listen();
  }

  private on(name: string, fn: () => void): void {
    this.host.model.on(name, fn);
    this.handlers.push([name, fn]);
  }

  private listen(): void {
    const model = this.host.model;
    this.on("change:sync_points", () => {
      this.panel.syncChanged();
      this.markers.draw();
    });
    this.on("change:_align_undo", () => this.panel.render());
    const mapped = () => {
      this.panel.render();
      this.check.draw();
    };
    for (const name of TRACK_EVENTS) this.on(name, mapped);
    let durations = durationsKey(model);
    this.on("change:_track_times", () => {
      const now = durationsKey(model);
      if (now !== durations) mapped();
      durations = now;
    });
    this.on("change:_media", () => {
      this.client.clear();
      this.check.reset();
      this.panel.setTracks();
      if (this.open && !alignAvailable(model, this.host.editable)) this.toggle();
    });
  }

  /** The detail plot's place relative to the check's box (the check is drawn right above it). */
  private plotInPanel(): { left: number; width: number } {
    const plot = this.host.plot();
    // plot() is relative to the root, whose left edge the detail chart's box shares.
    const shift = this.check.el.getBoundingClientRect().left - this.host.anchor.getBoundingClientRect().left;
    return { left: plot.left - shift, width: plot.width };
  }

  /** Show or hide the panel. */
  toggle(): void {
    this.open = !this.open && alignAvailable(this.host.model, this.host.editable);
    this.panel.el.hidden = !this.open;
    if (this.open) {
      this.panel.setTracks();
      this.suggest.render();
      this.check.draw();
    }
    this.host.toggled();
  }

  /** The charts were (re)built: put the markers on them and listen to the detail chart. */
  attach(): void {
    this.markers.attach();
    const over = this.host.detailOver();
    if (over) this.gesture.attach(over);
    this.check.draw();
  }

  /** The window or the charts' size changed. */
  draw(): void {
    this.markers.draw();
    this.check.draw();
  }

  /** New detail data arrived. */
  dataArrived(): void {
    this.check.draw();
  }

  /** The data's channels may have changed. */
  metaChanged(): void {
    this.suggest.setChannels();
    this.panel.render();
  }

  /** The S key: add a sync point under the pointer; false when none can be added. */
  syncKey(): boolean {
    return this.gesture.key();
  }

  destroy(): void {
    for (const [name, fn] of this.handlers) this.host.model.off(name, fn);
    this.markers.destroy();
    this.panel.el.remove();
  }
}
