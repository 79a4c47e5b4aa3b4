/**
 * The two uPlot charts: the overview strip and the detail chart.
 *
 * uPlot draws lines on a canvas with its own per-pixel min/max accumulation,
 * so a few thousand points per channel cost about a millisecond; axes use the
 * time formatting of timefmt.ts so ticks fall on round times.
 */

import uPlot from "uplot";
import { dayLabel, formatTick, formatTime, ticks, unitSeconds, type TimeMeta } from "./timefmt";
import { channelColor, type Theme } from "./theme";
import { formatValue, type ValueKind } from "./valuefmt";

export type Data = uPlot.AlignedData;

export interface ChartSpec {
  meta: TimeMeta;
  channels: string[];
  width: number;
  height: number;
  /** Detail chart: legend, cursor and y axis. Overview: a bare strip. */
  detail: boolean;
  theme: () => Theme;
  /**
   * Called once uPlot has applied a new size (it applies setSize in a
   * microtask): overlays placed from the plot's width must be placed again then.
   */
  sized?: (u: uPlot) => void;
  /**
   * How channel `i`'s values shown now were sent (exact or approximate), for
   * the detail chart's legend; without it uPlot formats them itself.
   */
  valueKind?: (i: number) => ValueKind;
}

const TICK_SPACING_PX = 110;

function xAxis(spec: ChartSpec): uPlot.Axis {
  const meta = spec.meta;
  return {
    stroke: () => spec.theme().fg,
    grid: { stroke: () => spec.theme().grid, width: 1 },
    ticks: { stroke: () => spec.theme().grid, width: 1 },
    size: meta.kind === "datetime" ? 44 : 30,
    splits: (u, _i, min, max) => ticks(min, max, Math.max(2, Math.floor(u.bbox.width / devicePixelRatio / TICK_SPACING_PX)), meta),
    values: (_u, splits) => {
      if (splits.length === 0) return [];
      const stepRel = splits.length > 1 ? splits[1] - splits[0] : 1;
      const step = meta.kind === "numeric" ? stepRel / unitSeconds(meta) : stepRel;
      return splits.map((s, i) => {
        const label = formatTick(s, step, meta);
        const day = step < 86400 ? dayLabel(s, i > 0 ? splits[i - 1] : null, meta) : "";
        return day ? `${label}\n${day}` : label;
      });
    },
  };
}

export function makeChart(target: HTMLElement, spec: ChartSpec, data: Data): uPlot {
  const series: uPlot.Series[] = [
    { value: (_u, v) => (v == null ? "--" : formatTime(v, spec.meta)), label: spec.meta.kind === "datetime" ? "time" : `time (${spec.meta.unit})` },
    ...spec.channels.map((name, i) => ({
      ...(spec.valueKind ? { value: (_u: uPlot, v: number | null) => formatValue(v, spec.valueKind!(i)) } : {}),
      label: name,
      stroke: channelColor(i),
      width: spec.detail ? 1.25 : 1,
      points: { show: false },
      spanGaps: false,
    })),
  ];
  const axes: uPlot.Axis[] = [xAxis(spec)];
  if (spec.detail) {
    axes.push({
      stroke: () => spec.theme().fg,
      grid: { stroke: () => spec.theme().grid, width: 1 },
      ticks: { stroke: () => spec.theme().grid, width: 1 },
      size: 56,
    });
  } else {
    axes.push({ show: false });
  }
  const opts: uPlot.Options = {
    width: spec.width,
    height: spec.height,
    series,
    axes,
    scales: { x: { time: false } },
    legend: { show: spec.detail, live: spec.detail },
    cursor: spec.detail
      ? {
          drag: { x: false, y: false, setScale: false },
          points: { show: false },
          // uPlot resets the zoom on double-click; here double-click makes a point event.
          bind: { dblclick: () => null },
        }
      : { show: false, drag: { x: false, y: false, setScale: false } },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    padding: [8, 8, 0, spec.detail ? 0 : 8],
    hooks: spec.sized ? { setSize: [spec.sized] } : {},
  };
  return new uPlot(opts, data, target);
}
