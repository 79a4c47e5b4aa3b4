/**
 * Sync points and alignment numbers as pure functions: a sync point pairs a
 * data time with the media time of one track at the same moment; the panel
 * shows how far each is off the track's mapping, and the mapping's offset and
 * rate, in these terms.
 *
 * Data times are relative seconds since the first sample, media times
 * seconds of the track's media, as everywhere in the front end. A mapping is
 * only ever read through toMedia/toData (timemap.ts).
 */

import { newId } from "./regions";
import { toMedia, type TimeMap } from "./timemap";

/** Data time `data_time` (relative seconds) is media time `media_time` (seconds) of track `track`. */
export interface SyncPoint {
  id: string;
  track: string;
  data_time: number;
  media_time: number;
}

/** A new sync point with a fresh id (the id scheme regions use). */
export function newSyncPoint(track: string, dataTime: number, mediaTime: number, id: string = newId()): SyncPoint {
  return { id, track, data_time: dataTime, media_time: mediaTime };
}

/** The points of track `track`, in data-time order. */
export function pointsOf(points: readonly SyncPoint[], track: string): SyncPoint[] {
  return points.filter((p) => p.track === track).sort((a, b) => a.data_time - b.data_time || a.id.localeCompare(b.id));
}

/** A key that changes whenever track `track`'s points change (a fit made for other points is stale). */
export function pointsKey(points: readonly SyncPoint[], track: string): string {
  return JSON.stringify(pointsOf(points, track).map((p) => [p.id, p.data_time, p.media_time]));
}

/** Milliseconds by which `p`'s media time is off mapping `m`: media_time − toMedia(data_time). */
export function residualMs(p: SyncPoint, m: TimeMap): number {
  return (p.media_time - toMedia(p.data_time, m)) * 1000;
}

/** Milliseconds to one decimal ("12.3 ms"); "" for null or a non-finite value. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const text = ms.toFixed(1);
  return `${text === "-0.0" ? "0.0" : text} ms`;
}

/** Parts per million by which `rate` differs from 1. */
export function ppm(rate: number): number {
  return (rate - 1) * 1e6;
}

/** A rate as parts per million from 1, signed ("+1000 ppm", "-12.5 ppm", "0 ppm"). */
export function formatPpm(rate: number): string {
  if (!Number.isFinite(rate)) return "";
  const v = Math.round(ppm(rate) * 10) / 10;
  if (v === 0) return "0 ppm";
  return `${v > 0 ? "+" : "-"}${Math.abs(v)} ppm`;
}

/** A mapping's offset: media seconds at the first sample to 3 decimals, or "proportional" (null). */
export function formatOffset(offset: number | null): string {
  return offset === null ? "proportional" : `${offset.toFixed(3)} s`;
}

/** A mapping's rate: ppm from 1 and the raw rate ("+1000 ppm (1.001)"); "" when proportional. */
export function formatRate(offset: number | null, rate: number): string {
  if (offset === null) return "";
  return `${formatPpm(rate)} (${Number(rate.toPrecision(12))})`;
}

/** Media seconds to 3 decimals ("12.345 s"). */
export function formatMedia(t: number): string {
  return `${t.toFixed(3)} s`;
}
