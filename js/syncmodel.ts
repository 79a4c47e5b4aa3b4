/**
 * The alignment's values in the model: the sync points (`sync_points`, which
 * the browser adds to and deletes from, the kernel validates) and the
 * previous alignments (`_align_undo`, written only by the kernel). Nothing
 * else reads or writes these traits.
 */

import type { AnyModel } from "@anywidget/types";
import type { SyncPoint } from "./syncpoints";

/** One previous alignment of a track, as "undo alignment" would restore it. */
export interface AlignUndoEntry {
  track: string;
  offset: number | null;
  rate: number;
  knots: [number, number][] | null;
}

/** Model events after which the sync points or the alignment history may differ. */
export const SYNC_EVENTS = ["change:sync_points", "change:_align_undo"];

/** The sync points of every track (none when the model has no such trait yet). */
export function syncPoints(model: AnyModel): SyncPoint[] {
  const v = model.get("sync_points") as SyncPoint[] | null | undefined;
  return Array.isArray(v) ? v : [];
}

/** Add sync point `p` and send it (the kernel may snap its data time, or refuse it). */
export function addSyncPoint(model: AnyModel, p: SyncPoint): void {
  model.set("sync_points", [...syncPoints(model), p]);
  model.save_changes();
}

/** Delete sync point `id` (nothing when there is none). */
export function deleteSyncPoint(model: AnyModel, id: string): void {
  const all = syncPoints(model);
  if (!all.some((p) => p.id === id)) return;
  model.set("sync_points", all.filter((p) => p.id !== id));
  model.save_changes();
}

/** Whether the kernel keeps a previous alignment of track `track` ("undo alignment" can act). */
export function canUndoAlign(model: AnyModel, track: string): boolean {
  const v = model.get("_align_undo") as AlignUndoEntry[] | null | undefined;
  return Array.isArray(v) && v.some((e) => e.track === track);
}
