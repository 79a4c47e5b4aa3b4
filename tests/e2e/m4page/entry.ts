/**
 * Test page for tests/e2e/test_m4_pixels.py: draws one window twice with the
 * product's own detail chart (js/chart.ts `makeChart`, detail: true), once
 * from every raw sample and once from the kernel's decimated reply (decoded by
 * js/state.ts `decodeReply`, NaN turned into null by js/buffers.ts `withGaps`,
 * as js/charts.ts `data()` does), and compares the two canvases pixel by pixel.
 *
 * Bundled by the test with esbuild into an IIFE (global `M4Page`) and inlined
 * into a blank page: no server, no Jupyter.
 */

import type uPlot from "uplot";
import { asTyped, fromBase64, withGaps, type Dtype } from "../../../js/buffers";
import { makeChart, type Data } from "../../../js/chart";
import { decodeReply } from "../../../js/state";
import type { Theme } from "../../../js/theme";

export interface RawSpec {
  /** float64 relative seconds of every sample, base64. */
  x: string;
  /** One base64 buffer per channel, in `dtypes`. */
  ys: string[];
  dtypes: Dtype[];
}

export interface ReplySpec {
  /** The reply's JSON header, as `w.detail` returns it. */
  header: Record<string, unknown>;
  /** Its buffers, base64. */
  buffers: string[];
}

export interface DrawSpec {
  channels: string[];
  /** Plot area width wanted, device pixels (devicePixelRatio must be 1). */
  plotWidth: number;
  /** Whole chart height, CSS pixels. */
  height: number;
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
  raw: RawSpec;
  reply: ReplySpec;
}

export interface Diff {
  x: number;
  y: number;
  raw: number[];
  reply: number[];
}

export interface DrawResult {
  devicePixelRatio: number;
  /** The plot area of both charts (canvas pixels). */
  bbox: { left: number; top: number; width: number; height: number };
  canvas: { width: number; height: number };
  /** Scales as the charts hold them after drawing (both charts must agree). */
  scales: { raw: number[]; reply: number[] };
  /** Points each chart was given. */
  points: { raw: number; reply: number };
  /** Pixels whose RGBA differs between the two canvases. */
  differing: number;
  /** Of those, pixels where some channel differs by more than 64 (not just antialiasing). */
  strong: number;
  /** The first differing pixels (canvas coordinates), to say where. */
  first: Diff[];
  /** Plot-area pixel columns (0 = the plot's left edge) holding differences. */
  columns: number[];
  /** Pixels the raw chart's lines change (against the same chart with its lines hidden). */
  ink: number;
}

const THEME: Theme = { fg: "#1f1f1f", fgMuted: "#616161", grid: "#e0e0e0", bg: "#ffffff" };
const META = { kind: "numeric" as const, unit: "s", t0: 0 };

/** Two animation frames: uPlot commits scale changes in a microtask and draws then. */
function settle(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

function chart(host: HTMLElement, spec: DrawSpec, width: number, data: Data): uPlot {
  const box = document.createElement("div");
  host.appendChild(box);
  return makeChart(box, { meta: META, channels: spec.channels, width, height: spec.height, detail: true, theme: () => THEME }, data);
}

function rawData(raw: RawSpec): Data {
  const x = asTyped(fromBase64(raw.x), "float64");
  return [x, ...raw.ys.map((b, i) => withGaps(asTyped(fromBase64(b), raw.dtypes[i])))] as Data;
}

function replyData(reply: ReplySpec, spec: DrawSpec): Data {
  const c = decodeReply(spec.xmin, spec.xmax, reply.header, reply.buffers.map(fromBase64));
  return [c.x, ...c.ys.map(withGaps)] as Data;
}

function pixels(u: uPlot): Uint8ClampedArray {
  const c = u.ctx.canvas;
  return u.ctx.getImageData(0, 0, c.width, c.height).data;
}

function scalesOf(u: uPlot): number[] {
  return [u.scales.x.min ?? NaN, u.scales.x.max ?? NaN, u.scales.y.min ?? NaN, u.scales.y.max ?? NaN];
}

async function setWindow(u: uPlot, spec: DrawSpec): Promise<void> {
  // x first (it re-ranges auto y scales), then y, each committed before the next.
  u.setScale("x", { min: spec.xmin, max: spec.xmax });
  await settle();
  u.setScale("y", { min: spec.ymin, max: spec.ymax });
  await settle();
}

/** Draw `spec` from the raw samples and from the reply; compare the canvases. */
export async function compare(spec: DrawSpec): Promise<DrawResult> {
  const host = document.getElementById("charts")!;
  host.replaceChildren();
  const raw = rawData(spec.raw);
  const reply = replyData(spec.reply, spec);
  // The chart's axes and padding take a fixed width: measure it on a chart
  // showing the same data and scales, then size the charts so their plot areas
  // are exactly `plotWidth` device pixels wide.
  const probeWidth = spec.plotWidth + 200;
  const probe = chart(host, spec, probeWidth, raw);
  await setWindow(probe, spec);
  const width = probeWidth - (probe.bbox.width / devicePixelRatio - spec.plotWidth);
  probe.destroy();
  host.replaceChildren();

  const a = chart(host, spec, width, raw);
  const b = chart(host, spec, width, reply);
  const bare = chart(host, spec, width, raw);
  await settle();
  for (const u of [a, b, bare]) await setWindow(u, spec);
  for (let i = 1; i < bare.series.length; i++) bare.setSeries(i, { show: false });
  await settle();

  const pa = pixels(a);
  const pb = pixels(b);
  const pc = pixels(bare);
  const w = a.ctx.canvas.width;
  const left = a.bbox.left;
  let differing = 0;
  let strong = 0;
  let ink = 0;
  const first: Diff[] = [];
  const cols = new Set<number>();
  for (let i = 0; i < pa.length; i += 4) {
    const same = pa[i] === pb[i] && pa[i + 1] === pb[i + 1] && pa[i + 2] === pb[i + 2] && pa[i + 3] === pb[i + 3];
    if (pa[i] !== pc[i] || pa[i + 1] !== pc[i + 1] || pa[i + 2] !== pc[i + 2] || pa[i + 3] !== pc[i + 3]) ink++;
    if (same) continue;
    differing++;
    let most = 0;
    for (let k = 0; k < 4; k++) most = Math.max(most, Math.abs(pa[i + k] - pb[i + k]));
    if (most > 64) strong++;
    const p = i / 4;
    const x = p % w;
    cols.add(x - left);
    if (first.length < 12) first.push({ x, y: Math.floor(p / w), raw: Array.from(pa.slice(i, i + 4)), reply: Array.from(pb.slice(i, i + 4)) });
  }
  return {
    devicePixelRatio,
    bbox: { left: a.bbox.left, top: a.bbox.top, width: a.bbox.width, height: a.bbox.height },
    canvas: { width: w, height: a.ctx.canvas.height },
    scales: { raw: scalesOf(a), reply: scalesOf(b) },
    points: { raw: (raw[0] as ArrayLike<number>).length, reply: (reply[0] as ArrayLike<number>).length },
    differing,
    strong,
    first,
    columns: [...cols].sort((p, q) => p - q),
    ink,
  };
}
