/**
 * The view's editing tools, built from what the view shares with them: the
 * labeling UI (label bar, regions, their keys) and the alignment (panel,
 * sync-point markers, gesture). Kept out of view.ts so the view only lays
 * out, keeps the window and routes actions.
 */

import type { AnyModel } from "@anywidget/types";
import { alignAvailable, Alignment } from "./align";
import type { Charts } from "./charts";
import type { Host } from "./hosts/host";
import { Labeler } from "./labeling";
import type { MediaPane } from "./mediapane";
import type { Messages } from "./messages";
import type { Sel } from "./range";
import type { ModelState } from "./state";
import { channelColor, type Theme } from "./theme";

/** What the tools use of their view. */
export interface ToolView {
  model: AnyModel;
  st: ModelState;
  host: Host;
  root: HTMLElement;
  signal: AbortSignal;
  msg: Messages;
  /** The detail chart's box: the label bar and the panel go before it. */
  detailBox: HTMLElement;
  charts(): Charts | undefined;
  pane(): MediaPane;
  window(): Sel;
  span(): number;
  channels(): string[];
  theme(): Theme;
  format(rel: number): string;
  /** Where the detail chart's plot is, relative to the root (CSS px). */
  plot(): { left: number; width: number };
}

/** Sync points may be added and alignments fitted: a kernel answers and the widget may be changed. */
function alignEditable(v: ToolView): boolean {
  return v.host.editable && v.host.kernel;
}

/** The labeling UI of view `v`; `align()` is the view's alignment (made after it). */
export function makeLabeler(v: ToolView, align: () => Alignment | undefined): Labeler {
  const conductor = () => v.pane().conductor;
  return new Labeler({
    model: v.model,
    edits: v.st.edits,
    showError: (text) => v.msg.showError(text),
    clearError: (text) => v.msg.clearError(text),
    root: v.root,
    signal: v.signal,
    editable: v.host.editable,
    barAnchor: v.detailBox,
    detailOver: () => v.charts()?.detail?.over ?? null,
    channels: () => v.channels(),
    overviewOver: () => v.charts()?.overview?.over ?? null,
    window: () => v.window(),
    span: () => v.span(),
    playheadTime: () => conductor().playheadTime(),
    playing: () => conductor().playing,
    seekData: (rel) => conductor().seekData(rel, true),
    playRange: (a, b) => conductor().playRange(a, b),
    align: {
      available: () => alignAvailable(v.model, alignEditable(v)),
      open: () => align()?.open ?? false,
      toggle: () => align()?.toggle(),
    },
  });
}

/** The alignment of view `v`: panel, markers and gesture; `labeler` hears when it is toggled. */
export function makeAlignment(v: ToolView, labeler: Labeler): Alignment {
  return new Alignment({
    model: v.model,
    channel: v.st.channel,
    signal: v.signal,
    editable: alignEditable(v),
    anchor: v.detailBox,
    detailOver: () => v.charts()?.detail?.over ?? null,
    overviewOver: () => v.charts()?.overview?.over ?? null,
    window: () => v.window(),
    span: () => v.span(),
    channels: () => v.channels(),
    format: (rel) => v.format(rel),
    plot: () => v.plot(),
    series: (name) => v.charts()?.series(name) ?? null,
    colors: (name) => ({ channel: channelColor(Math.max(0, v.channels().indexOf(name))), feature: v.theme().fg }),
    currentTime: (track) => v.pane().conductor.tracks.find((t) => t.name === track)?.player.currentTime ?? null,
    toggled: () => labeler.alignToggled(),
    focus: () => v.root.focus({ preventScroll: true }),
  });
}
