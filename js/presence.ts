/**
 * Whether a track has media at a data time: before its first frame, within
 * it, or after its end, under its mapping. Pure, for the conductor.
 */

import { toData, toMedia, type TimeMap } from "./timemap";

/** "unknown" while the mapping is (proportional and the duration not loaded). */
export type Coverage = "unknown" | "before" | "media" | "after";

/** Where data time `rel` falls in a track of `duration` seconds (null: not known yet) under mapping `m`. */
export function coverage(m: TimeMap, duration: number | null, rel: number): Coverage {
  if (m.offset === null && m.duration === null) return "unknown";
  const t = toMedia(rel, m);
  if (t < 0) return "before";
  return duration !== null && t >= duration ? "after" : "media";
}

/** The "no media here" text of track `name` at data time `rel`; `format` writes a data time. */
export function absentText(name: string, m: TimeMap, duration: number | null, rel: number, format: (rel: number) => string): string {
  const when = coverage(m, duration, rel) === "before" ? `starts at ${format(toData(0, m))}` : `ended at ${format(toData(duration ?? 0, m))}`;
  return `${name}: no media here (${when})`;
}
