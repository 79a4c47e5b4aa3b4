/**
 * The media part of one view: the video tiles side by side (up to four in a
 * row, each labeled with its track's name), the play bar, and the waveform
 * lanes of the audio tracks under the detail chart; the conductor keeps the
 * tracks in step. It lays the tracks out and forwards the model's track
 * changes; the view places the boxes and says what the window is.
 */

import type { AnyModel } from "@anywidget/types";
import type { ClockAnchor } from "./clock";
import { Conductor, type ConductorHost } from "./conductor";
import type { Host } from "./hosts/host";
import { Lanes } from "./lanes";
import type { PlayerFactory } from "./mediatrack";
import { PlayBar } from "./playbar";
import type { ModelState } from "./state";
import { durationsKey, TRACK_EVENTS, trackInfos, trackMap } from "./trackmodel";
import type { TimeMap } from "./timemap";
import { el } from "./dom";

/** Most video tiles in one row. */
export const TILES_PER_ROW = 4;

export interface PaneHost extends ConductorHost {
  /** Where the detail chart's plot is, relative to the view's root (CSS px). */
  plot(): { left: number; width: number };
  /** Colour of the waveforms. */
  color(): string;
  /** The element that publishes the data clock (`data-clock`). */
  root: HTMLElement;
}

export class MediaPane {
  /** The video tiles. */
  readonly grid: HTMLDivElement;
  readonly playbar: PlayBar;
  readonly lanes: Lanes;
  readonly conductor: Conductor;
  private readonly handlers: [string, () => void][] = [];

  constructor(
    private readonly model: AnyModel,
    private readonly ph: PaneHost,
    signal: AbortSignal,
    deps: { st: ModelState; host: Host },
    private readonly make?: PlayerFactory,
  ) {
    this.grid = el("div", "tsv-media tsv-tracks", "tracks");
    const published = (a: ClockAnchor) => {
      ph.root.dataset.clock = JSON.stringify(a);
      this.showClock();
    };
    this.conductor = new Conductor(model, ph, published, signal, deps);
    this.playbar = new PlayBar(() => this.conductor.toggle(), signal);
    this.lanes = new Lanes(deps.st.media, {
      window: () => ph.window(),
      plot: () => ph.plot(),
      map: (t) => this.conductor.map(t),
      color: () => ph.color(),
      kernel: deps.host.kernel,
    });
    const onTracks = () => {
      this.conductor.settingsChanged();
      this.lanes.draw();
      ph.moved();
    };
    for (const name of TRACK_EVENTS) this.on(name, onTracks);
    let durations = durationsKey(model);
    this.on("change:_track_times", () => {
      const now = durationsKey(model);
      if (now !== durations) onTracks();
      durations = now;
    });
    this.on("change:_media", () => this.load());
  }

  private on(name: string, fn: () => void): void {
    this.model.on(name, fn);
    this.handlers.push([name, fn]);
  }

  /** Show the model's tracks (`_media`), replacing what was shown. */
  load(): void {
    const infos = trackInfos(this.model);
    const tracks = this.conductor.load(infos, this.make);
    const videos = tracks.filter((t) => t.kind === "video");
    this.grid.replaceChildren(...videos.map((t) => t.tile));
    this.grid.hidden = videos.length === 0;
    this.grid.style.setProperty("--tsv-tiles", String(Math.max(1, Math.min(TILES_PER_ROW, videos.length))));
    this.grid.style.setProperty("--tsv-rows", String(Math.max(1, Math.ceil(videos.length / TILES_PER_ROW))));
    this.lanes.set(tracks);
    // One video needs no name, no buttons and no play bar: its own controls do it all.
    const single = tracks.length === 1 && videos.length === 1;
    this.grid.classList.toggle("tsv-single", single);
    this.playbar.el.hidden = tracks.length === 0 || single;
    this.showClock();
  }

  /** The first track's mapping, or null without media. */
  firstMap(): TimeMap | null {
    const first = trackInfos(this.model)[0];
    return first ? trackMap(this.model, first.track, this.ph.span()) : null;
  }

  /** The window or the clock moved: redraw the lanes and the play bar. */
  redraw(): void {
    this.lanes.draw();
    this.showClock();
  }

  showClock(): void {
    const t = this.conductor.playheadTime();
    this.playbar.show(this.conductor.playing, t === null ? "" : this.ph.format(t));
  }

  destroy(): void {
    for (const [name, fn] of this.handlers) this.model.off(name, fn);
    this.conductor.destroy();
    this.lanes.destroy();
    this.grid.remove();
    this.playbar.el.remove();
  }
}
