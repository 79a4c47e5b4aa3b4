/**
 * Edit ops, the unit of the edit protocol, as pure functions: the shape sent
 * to the kernel and stored while unacknowledged, how a user's operation turns
 * into ops, and the regions the ops make on top of the kernel's.
 */

import type { AnyModel } from "@anywidget/types";
import type { Op, Region } from "./regions";

/** A region as sent to the kernel: no `meta` (the kernel keeps each region's meta itself). */
export interface WireRegion {
  id: string;
  start: number;
  end: number;
  label: string;
  channel: string | null;
}

/** One edit of one region: put `region` by id, or remove region `id` when `region` is null. */
export interface PendingOp {
  /** Position in the client's sequence; the kernel applies each seq once. */
  seq: number;
  id: string;
  region: WireRegion | null;
}

/** The kernel's regions as the front end uses them (channel and meta filled in). */
export function kernelRegions(model: AnyModel): Region[] {
  return ((model.get("regions") as Region[] | null) ?? []).map((r) => ({ ...r, channel: r.channel ?? null, meta: r.meta ?? {} }));
}

/** `base` with `ops` applied in order: put by id (keeping the region's meta) or remove by id. */
export function overlay(base: readonly Region[], ops: readonly PendingOp[]): Region[] {
  const out = base.slice();
  for (const o of ops) {
    const i = out.findIndex((r) => r.id === o.id);
    if (o.region === null) {
      if (i >= 0) out.splice(i, 1);
    } else {
      const r: Region = { ...o.region, channel: o.region.channel ?? null, meta: i >= 0 ? out[i].meta : {} };
      if (i >= 0) out[i] = r;
      else out.push(r);
    }
  }
  return out;
}

/** The ops (without seq) that carry out `op`. */
export function toWireOps(op: Op): Omit<PendingOp, "seq">[] {
  return op.map(({ before, after }) => {
    const id = (after ?? before)!.id;
    if (!after) return { id, region: null };
    return { id, region: { id, start: after.start, end: after.end, label: after.label, channel: after.channel ?? null } };
  });
}

