/**
 * Drawing regions as DOM nodes over the charts (text through textContent
 * only): the detail chart's layer, one box per region visible in the window
 * in its overlap lane, with edge handles; and the overview's marks, one per
 * region across the whole span.
 */

import { assignLanes, visible, type Region } from "./regions";
import { toPx, type Scale } from "./scale";

function node(cls: string, part?: string, text?: string): HTMLDivElement | HTMLSpanElement {
  const e = document.createElement(text === undefined ? "div" : "span");
  e.className = cls;
  if (part) e.dataset.part = part;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The detail layer's children for `regions` on scale `sc` (the window), `selected` marked. */
export function detailNodes(regions: Region[], sc: Scale, selected: string | null, color: (label: string) => string): HTMLElement[] {
  const shown = visible(regions, sc.lo, sc.hi);
  const lanes = assignLanes(shown);
  return shown.map((r) => {
    const d = node(r.start === r.end ? "tsv-region tsv-event" : "tsv-region", "region");
    d.dataset.id = r.id;
    d.dataset.label = r.label;
    d.style.setProperty("--tsv-region-color", color(r.label));
    const left = Math.max(toPx(sc, r.start), -2);
    const right = Math.min(toPx(sc, r.end), sc.width + 2);
    d.style.left = `${left}px`;
    if (r.start !== r.end) {
      const l = lanes.get(r.id)!;
      d.style.width = `${Math.max(right - left, 1)}px`;
      d.style.top = `${(100 * l.lane) / l.lanes}%`;
      d.style.height = `${100 / l.lanes}%`;
      const a = node("tsv-edge tsv-edge-start");
      a.dataset.edge = "start";
      const b = node("tsv-edge tsv-edge-end");
      b.dataset.edge = "end";
      d.append(a, b);
    }
    d.append(node("tsv-region-label", undefined, r.channel ? `${r.label} · ${r.channel}` : r.label));
    if (r.id === selected) d.classList.add("tsv-selected");
    return d;
  });
}

/** The overview's marks for `regions` on scale `sc` (the whole span), at least 2 px wide. */
export function overviewNodes(regions: Region[], sc: Scale, color: (label: string) => string): HTMLElement[] {
  return regions.map((r) => {
    const d = node("tsv-overview-region");
    d.style.left = `${toPx(sc, r.start)}px`;
    d.style.width = `${Math.max(toPx(sc, r.end) - toPx(sc, r.start), 2)}px`;
    d.style.background = color(r.label);
    return d;
  });
}
