/**
 * Each media track's values in the model (see tsvideo_widget/tracks.py for
 * where they live): the first track's clock is the widget's own `offset`,
 * `rate`, `media_duration` and `media_time`; every track's `muted` and
 * `visible`, and the other tracks' `offset` and `rate`, are in `_tracks`; the
 * other tracks' durations and media times are in `_track_times`, which only
 * the browser writes. Nothing else reads or writes these traits.
 */

import type { AnyModel } from "@anywidget/types";
import type { MediaInfo } from "./media";
import type { TimeMap } from "./timemap";

export interface TrackSetting {
  name: string;
  muted: boolean;
  visible: boolean;
  /** Tracks after the first: media seconds at the first sample, or null (proportional). */
  offset?: number | null;
  /** Tracks after the first: media seconds per data second. */
  rate?: number;
  /** A piecewise mapping, [rel, media] knots (overrides offset and rate), or null. */
  knots?: [number, number][] | null;
}

type Times = Record<string, { duration: number | null; time: number }>;

/**
 * Model events after which a track's mapping or settings may differ
 * (`_track_times` too, but most of its changes are media times: see {@link durationsKey}).
 */
export const TRACK_EVENTS = ["change:offset", "change:rate", "change:media_duration", "change:_tracks"];

/** The tracks' durations in `_track_times` as a key: a change of it changes a mapping, a time report does not. */
export function durationsKey(model: AnyModel): string {
  return JSON.stringify(Object.entries(times(model)).map(([name, t]) => [name, t.duration]));
}

/** The tracks' descriptions (`_media`), in order. */
export function trackInfos(model: AnyModel): MediaInfo[] {
  const media = model.get("_media") as MediaInfo[] | null;
  return Array.isArray(media) ? media : [];
}

function settings(model: AnyModel): TrackSetting[] {
  const s = model.get("_tracks") as TrackSetting[] | null;
  return Array.isArray(s) ? s : [];
}

function times(model: AnyModel): Times {
  return (model.get("_track_times") as Times | null) ?? {};
}

/** Track `name`'s settings (defaults when the model has none yet). */
export function trackSetting(model: AnyModel, name: string): TrackSetting {
  return settings(model).find((s) => s.name === name) ?? { name, muted: false, visible: true };
}

function isFirst(model: AnyModel, name: string): boolean {
  return trackInfos(model)[0]?.track === name;
}

/** Track `name`'s duration (seconds) as the browser reported it, or null. */
export function trackDuration(model: AnyModel, name: string): number | null {
  if (isFirst(model, name)) return (model.get("media_duration") as number | null) ?? null;
  return times(model)[name]?.duration ?? null;
}

/** Track `name`'s data-to-media mapping, for data span `span`. */
export function trackMap(model: AnyModel, name: string, span: number): TimeMap {
  const duration = trackDuration(model, name);
  const s = trackSetting(model, name);
  const knots = s.knots ?? null;
  if (isFirst(model, name)) {
    return { span, duration, offset: (model.get("offset") as number | null) ?? null, rate: (model.get("rate") as number) ?? 1, knots };
  }
  return { span, duration, offset: s.offset ?? null, rate: s.rate ?? 1, knots };
}

/** Write a track's setting (the track's mute or hide button, its own mute control). */
export function setTrackSetting(model: AnyModel, name: string, key: "muted" | "visible", value: boolean): void {
  const all = settings(model);
  if (!all.some((s) => s.name === name && s[key] !== value)) return;
  model.set("_tracks", all.map((s) => (s.name === name ? { ...s, [key]: value } : s)));
  model.save_changes();
}

/** Record track `name`'s duration once its metadata loaded (not saved: the caller saves). */
export function setTrackDuration(model: AnyModel, name: string, duration: number): void {
  if (isFirst(model, name)) {
    model.set("media_duration", duration);
    return;
  }
  const all = times(model);
  model.set("_track_times", { ...all, [name]: { duration, time: all[name]?.time ?? 0 } });
}

/**
 * Record the media times of the tracks after the first (not saved: the
 * caller saves). Returns whether anything changed by more than a microsecond.
 */
export function setTrackTimes(model: AnyModel, now: Record<string, number>): boolean {
  const all = times(model);
  let changed = false;
  const next: Times = { ...all };
  for (const [name, t] of Object.entries(now)) {
    if (isFirst(model, name) || !Number.isFinite(t)) continue;
    const prev = all[name];
    if (prev && Math.abs(prev.time - t) < 1e-6) continue;
    next[name] = { duration: prev?.duration ?? null, time: t };
    changed = true;
  }
  if (changed) model.set("_track_times", next);
  return changed;
}
